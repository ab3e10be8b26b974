/**
 * The ENRP messages (RFC 5353 §2, spec §4) as the ENRP server logic sees
 * them. The server works on these plain objects; a peer link turns
 * them into bytes and back (see `codec-adapter.ts`), so the protocol logic
 * can be exercised over in-memory links without any codec or socket.
 *
 * @module
 */
import type { PoolElementParam, PoolHandle, ServerInfoParam, ErrorCause } from '../../wire/types.js';

/** Fields common to every ENRP message. */
export interface PeerMessageHeader {
  /** Server identifier of the sender. */
  senderId: number;
  /** Server identifier of the receiver; 0 = unknown / multicast. */
  receiverId: number;
}

/** ENRP_PRESENCE: heartbeat carrying the sender's ownership checksum. */
export interface PeerPresence extends PeerMessageHeader {
  type: 'presence';
  /** R bit: the receiver must answer with a Presence. */
  replyRequired: boolean;
  /** 16-bit ownership checksum of the PEs the sender owns (spec §9). */
  checksum: number;
  /** Where the sender's ENRP endpoint listens. */
  serverInfo: ServerInfoParam;
}

/** ENRP_HANDLE_TABLE_REQUEST. */
export interface PeerHandleTableRequest extends PeerMessageHeader {
  type: 'handle-table-request';
  /** W bit: only PEs whose home registrar is the receiver. */
  ownChildrenOnly: boolean;
}

/** One pool handle with PEs inside a Handle Table Response. */
export interface HandleTableGroup {
  poolHandle: PoolHandle;
  /** Pool elements (each with its ASAP transport). */
  elements: PoolElementParam[];
}

/** ENRP_HANDLE_TABLE_RESPONSE. */
export interface PeerHandleTableResponse extends PeerMessageHeader {
  type: 'handle-table-response';
  /** R bit: request rejected (requester unknown); no groups. */
  rejected: boolean;
  /** M bit: more entries follow; send another request. */
  more: boolean;
  groups: HandleTableGroup[];
}

/** ENRP_HANDLE_UPDATE. */
export interface PeerHandleUpdate extends PeerMessageHeader {
  type: 'handle-update';
  /** ADD_PE (insert or update) or DEL_PE. */
  action: 'add' | 'del';
  /** T bit: the sender suggests that the receiver takes the PE over. */
  takeoverSuggested: boolean;
  poolHandle: PoolHandle;
  element: PoolElementParam;
}

/** ENRP_LIST_REQUEST. */
export interface PeerListRequest extends PeerMessageHeader {
  type: 'list-request';
}

/** ENRP_LIST_RESPONSE. */
export interface PeerListResponse extends PeerMessageHeader {
  type: 'list-response';
  /** R bit: rejected, no list. */
  rejected: boolean;
  servers: ServerInfoParam[];
}

/** ENRP_INIT_TAKEOVER, ENRP_INIT_TAKEOVER_ACK and ENRP_TAKEOVER_SERVER. */
export interface PeerTakeoverMessage extends PeerMessageHeader {
  type: 'init-takeover' | 'init-takeover-ack' | 'takeover-server';
  /** The server being taken over. */
  targetId: number;
}

/** ENRP_ERROR. */
export interface PeerErrorMessage extends PeerMessageHeader {
  type: 'error';
  causes: ErrorCause[];
}

/** Every ENRP message. */
export type PeerMessage =
  | PeerPresence
  | PeerHandleTableRequest
  | PeerHandleTableResponse
  | PeerHandleUpdate
  | PeerListRequest
  | PeerListResponse
  | PeerTakeoverMessage
  | PeerErrorMessage;
