import { describe, expect, it } from 'vitest';
import { RegistrarCodec } from '../../src/registrar/registrar-codec.js';
import { encodeMessage } from '../../src/wire/messages.js';

describe('RegistrarCodec fast paths', () => {
  const codec = new RegistrarCodec({});
  it('encode exactly like the codec', () => {
    for (const len of [1, 2, 3, 4, 5, 8, 31, 32]) {
      const poolHandle = new Uint8Array(len).map((_, i) => 65 + i);
      for (const peId of [1, 0x12345678, 0xfffffffe]) {
        expect(codec.registrationResponse(poolHandle, peId)).toEqual(encodeMessage({ protocol: 'asap', type: 'registration-response', poolHandle, peId }));
        expect(codec.deregistrationResponse(poolHandle, peId)).toEqual(encodeMessage({ protocol: 'asap', type: 'deregistration-response', poolHandle, peId }));
        for (const home of [false, true]) {
          expect(codec.keepAlive(0xabcdef01, poolHandle, peId, home)).toEqual(
            encodeMessage({ protocol: 'asap', type: 'endpoint-keep-alive', home, serverId: 0xabcdef01, poolHandle, peId }),
          );
        }
      }
    }
  });
});
