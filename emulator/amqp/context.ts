/**
 * State shared by the AMQP handlers: the server-wide context (config, store, faults, clock,
 * tracked timers, receiver ownership) and the per-connection state (claims, reply links, the
 * handlers of its open links). Kept in one small module so handlers depend on data, not on the
 * server that wires them.
 */
import type { Connection, EventContext, Receiver, Sender } from 'rhea';
import { ClaimSet } from '../auth/claims';
import type { EmulatorConfig } from '../config';
import type { FaultState } from '../faults';
import type { StoreInternals } from '../store/store';

export type Link = Sender | Receiver;

export interface LinkHandler {
  /** Producer and consumer links; `$cbs` and `$management` links are not entity links. */
  readonly entity?: boolean;
  onMessage?(context: EventContext): void;
  onSendable?(): void;
  /** Called once when the link or its connection goes away. */
  dispose?(): void;
}

/** Receivers currently attached to one consumer group's partition, for epoch and quota rules. */
export interface ConsumerRegistration {
  readonly epoch: number | undefined;
  readonly steal: (description: string) => void;
}

export interface ServerContext {
  readonly config: EmulatorConfig;
  readonly store: StoreInternals;
  readonly faults: FaultState;
  readonly now: () => number;
  /** `sb://host:port`, for the entity names in error descriptions. */
  readonly namespaceUri: () => string;
  /** Timers that must not outlive `close()`. */
  readonly later: (ms: number, action: () => void) => void;
  readonly consumers: Map<string, Set<ConsumerRegistration>>;
}

export class ConnectionState {
  readonly connection: Connection;
  readonly claims = new ClaimSet();
  readonly replyLinks = new Map<string, Sender>();
  readonly handlers = new Map<Link, LinkHandler>();

  constructor(connection: Connection) {
    this.connection = connection;
  }

  register(link: Link, handler: LinkHandler): void {
    this.handlers.set(link, handler);
  }

  release(link: Link): void {
    const handler = this.handlers.get(link);
    if (!handler) return;
    this.handlers.delete(link);
    for (const [name, sender] of this.replyLinks) if (sender === link) this.replyLinks.delete(name);
    handler.dispose?.();
  }

  releaseAll(): void {
    for (const link of [...this.handlers.keys()]) this.release(link);
  }
}

interface AttachEnds {
  readonly local: { readonly attach: Record<string, unknown> };
  readonly remote: { readonly attach?: Record<string, unknown> };
}

/** rhea keeps both attach frames on the link but its typings omit them. */
export function attachEnds(link: Link): AttachEnds {
  return link as unknown as AttachEnds;
}

/** The remote terminus address of a link (target for client senders, source for client receivers). */
export function remoteAddress(link: Link, end: 'source' | 'target'): string | undefined {
  const attach = attachEnds(link).remote.attach as
    { source?: { address?: unknown }; target?: { address?: unknown } } | undefined;
  const address = attach?.[end]?.address;
  return typeof address === 'string' ? address : undefined;
}

interface Described {
  described(): unknown;
}

/** Answers an attach by echoing the peer's source and target, as the service does. */
export function mirrorTermini(link: Link): void {
  const remote = attachEnds(link).remote.attach as
    { source?: Described | null; target?: Described | null } | undefined;
  const local = attachEnds(link).local.attach;
  if (remote?.source) local.source = remote.source.described();
  if (remote?.target) local.target = remote.target.described();
}

/**
 * Fields the service sets on every attach it accepts: max-message-size (also on `$cbs` and
 * `$management` links) and a properties map, which clients that sent link properties merge into
 * theirs (an absent map breaks azure-eventhub for Python).
 */
export function completeAttach(link: Link, maxMessageSize: number): void {
  const local = attachEnds(link).local.attach;
  local.max_message_size = maxMessageSize;
  local.properties ??= {};
}

/** Refuses an attach: the reply carries no terminus, then the detach carries the error. */
export function refuseLink(link: Link, condition: string, description: string): void {
  const local = attachEnds(link).local.attach;
  local.source = null;
  local.target = null;
  link.close({ condition, description });
}
