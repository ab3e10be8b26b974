/**
 * Bounds-checked reading of TLV parameter lists (spec §2.2): a cursor walks
 * the parameters of one message or one nested parameter, skips unknown types
 * whose action bits say so and refuses everything malformed with
 * `ProtocolError`.
 *
 * @module
 */
import { ProtocolError } from '../errors.js';
import { ErrorCauseCode } from './types.js';
import type { WireLimits } from './limits.js';
import { isKnownParameterType, unknownParameterAction, type UnknownParameterAction } from './parameter-types.js';

/** A parameter the decoder did not recognise and skipped (action bits 10 or 11). */
export interface UnrecognizedParameter {
  /** The 16-bit parameter type. */
  type: number;
  /** Whether the sender asked to be told (action bits 11: skip and report). */
  report: boolean;
  /** The whole parameter (header and value, without padding): the cause information of an "Unrecognized parameter" cause. */
  tlv: Uint8Array;
}

/**
 * An unknown parameter whose action bits say "stop" (00) or "stop and
 * report" (01). The message is refused; when `report` is true the receiver
 * should answer with an Operation Error carrying cause 0x0001 and `tlv`.
 */
export class UnrecognizedParameterError extends ProtocolError {
  /** The 16-bit parameter type. */
  readonly parameterType: number;
  /** The action bits by name. */
  readonly action: UnknownParameterAction;
  /** Whether the sender asked for a report. */
  readonly report: boolean;
  /** The parameter (header and value, without padding). */
  readonly tlv: Uint8Array;

  constructor(type: number, tlv: Uint8Array, offset: number) {
    super(`unrecognized parameter type 0x${type.toString(16).padStart(4, '0')} with action "${unknownParameterAction(type)}"`, {
      causeCode: ErrorCauseCode.UNRECOGNIZED_PARAMETER,
      offset,
    });
    this.parameterType = type;
    this.action = unknownParameterAction(type);
    this.report = this.action === 'stop-and-report';
    this.tlv = tlv;
  }
}

/** State shared by all cursors of one decode. */
export interface DecodeContext {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly limits: Readonly<WireLimits>;
  unrecognized: UnrecognizedParameter[] | undefined;
  poolElements: number;
}

/** Throws a ProtocolError for invalid values at `offset`. */
export function invalid(message: string, offset: number, causeCode: number = ErrorCauseCode.INVALID_VALUES): never {
  throw new ProtocolError(message, { causeCode, offset });
}

/**
 * Walks the known parameters in `[start, end)`. After construction and after
 * every {@link TlvCursor.advance} the current parameter is described by
 * `type` (−1 at the end), `offset`, `valueStart` and `valueEnd`.
 */
export class TlvCursor {
  /** Type of the current parameter, or −1 when the list is exhausted. */
  type = -1;
  /** Offset of the current parameter's header. */
  offset = 0;
  /** First byte of the current parameter's value. */
  valueStart = 0;
  /** One past the last byte of the current parameter's value (padding excluded). */
  valueEnd = 0;
  private pos: number;

  constructor(
    readonly ctx: DecodeContext,
    start: number,
    readonly end: number,
    /** Nesting depth of the parameters in this list (message level = 1). */
    readonly depth: number,
  ) {
    if (depth > ctx.limits.maxNestingDepth) {
      invalid(`parameter nesting deeper than ${ctx.limits.maxNestingDepth}`, start);
    }
    this.pos = start;
    this.advance();
  }

  /** Moves to the next known parameter, skipping unknown ones as their action bits allow. */
  advance(): void {
    const { view, bytes } = this.ctx;
    const end = this.end;
    for (;;) {
      const pos = this.pos;
      if (pos >= end) {
        this.type = -1;
        this.offset = end;
        return;
      }
      if (end - pos < 4) invalid('truncated parameter header', pos);
      const type = view.getUint16(pos);
      const length = view.getUint16(pos + 2);
      if (length < 4) invalid(`parameter length ${length} below 4`, pos);
      if (length > end - pos) invalid(`parameter length ${length} exceeds the enclosing space of ${end - pos} bytes`, pos);
      const padded = (length + 3) & ~3;
      // The padding of the very last parameter may be missing: it carries no information.
      this.pos = padded > end - pos ? end : pos + padded;
      if (isKnownParameterType(type)) {
        this.type = type;
        this.offset = pos;
        this.valueStart = pos + 4;
        this.valueEnd = pos + length;
        return;
      }
      const tlv = bytes.slice(pos, pos + length);
      if ((type & 0x8000) === 0) throw new UnrecognizedParameterError(type, tlv, pos);
      const list = (this.ctx.unrecognized ??= []);
      if (list.length >= this.ctx.limits.maxUnrecognizedParameters) {
        invalid(`more than ${this.ctx.limits.maxUnrecognizedParameters} unrecognized parameters`, pos);
      }
      list.push({ type, report: (type & 0x4000) !== 0, tlv });
    }
  }

  /** Length of the current parameter's value. */
  get valueLength(): number {
    return this.valueEnd - this.valueStart;
  }

  /** True when the current parameter has type `type`. */
  at(type: number): boolean {
    return this.type === type;
  }

  /** Throws unless the list is exhausted. */
  expectEnd(where: string): void {
    if (this.type !== -1) {
      invalid(`unexpected parameter 0x${this.type.toString(16).padStart(4, '0')} in ${where}`, this.offset);
    }
  }

  /** Throws unless the current parameter has type `type`. */
  expect(type: number, what: string, where: string): void {
    if (this.type !== type) {
      if (this.type === -1) invalid(`${where}: missing ${what} parameter`, this.offset);
      invalid(`${where}: expected ${what} parameter, found 0x${this.type.toString(16).padStart(4, '0')}`, this.offset);
    }
  }
}
