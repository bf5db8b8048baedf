import type { IncomingHttpHeaders } from 'node:http';
import type { EventFields } from '../normalizers/build-event.ts';
import type { RawEvent } from '../queue/contract.ts';
import type { AuthScheme } from './auth/auth-scheme.ts';

/** The environment variable that switches a provider on: its credential(s), comma-separated for rotation. */
export type CredentialSpec = {
  /** e.g. `PERSONA_WEBHOOK_SECRET`. */
  readonly variable: string;
  /** What the value is, for `.env.example`, the README and `hookline doctor`. */
  readonly what: string;
  /** Where a user finds (or makes) it on the provider's side. */
  readonly where: string;
  /** A credential of the right form around a random string, for the demo and tests: `Bearer <random>`. */
  readonly example: (random: string) => string;
};

/** How long an event key is remembered, when a provider's keys need their own window. */
export type DedupWindowSpec = {
  readonly variable: string;
  readonly defaultSeconds: number;
  readonly why: string;
};

/** A request that only tests the connection: answered 200, nothing queued. */
export type ConnectionTest = {
  matches(payload: unknown, headers: IncomingHttpHeaders): boolean;
  /** How the README and OpenAPI describe it. */
  readonly description: string;
};

/** What the README and OpenAPI say of the provider. */
export type ProviderDocs = {
  /** OpenAPI summary of `POST /webhooks/<id>`. */
  readonly summary: string;
  /** How a request is authenticated, one Markdown sentence or two (README endpoints table, OpenAPI). */
  readonly authentication: string;
  /** Which fields make the event key, Markdown: `` `persona:<data.id>` ``. */
  readonly eventKey: string;
  /** Extra request headers worth documenting (beyond the auth scheme's). */
  readonly headers?: readonly { name: string; description: string }[];
  /** What the provider sends and how each becomes a status (README provider section). */
  readonly statuses: string;
};

/**
 * Everything hookline knows about one provider. A new provider is a folder under src/providers
 * holding its definition, and one line in src/providers/registry.ts; config, the ingress, the
 * workers, OpenAPI, log redaction, the demo, the CLI and `.env.example` read it from there.
 */
export interface ProviderDefinition<Id extends string = string> {
  /** The path segment (`/webhooks/<id>`), the event key's prefix, the `provider` of its events. */
  readonly id: Id;
  /** As people write it: "PersonaClick". */
  readonly name: string;
  readonly credential: CredentialSpec;
  readonly auth: AuthScheme;
  /** Request headers kept with the event (lower-case names); never credentials. */
  readonly keptHeaders: readonly string[];
  /**
   * The provider's own id of this event (SPEC.md section 3), or undefined when the request has none
   * (the key then falls back to the body's hash). It must be the same on every retry of one event.
   */
  eventId(payload: unknown, headers: IncomingHttpHeaders): string | undefined;
  /** Unset: DEDUP_WINDOW_SECONDS applies. */
  readonly dedupWindow?: DedupWindowSpec;
  readonly connectionTest?: ConnectionTest;
  /**
   * Pure: the parsed body (and the stored request) in, the event's fields out, or a NormalizeError
   * naming what is missing or unknown. The event key, provider, receivedAt and the summary's wording
   * are added by src/normalizers/normalize.ts, which also checks the result against SPEC's schema.
   */
  normalize(payload: unknown, raw: RawEvent): EventFields;
  /** Seconds after which a run still started/running/resumed is stuck (0 = off), and why that default. */
  readonly stuckAfter: { readonly defaultSeconds: number; readonly why: string };
  /** A payload as the provider sends it: `hookline send-sample`, the demo, the benchmarks. */
  readonly sample: {
    readonly payload: Readonly<Record<string, unknown>>;
    /** Where the id its event key is made of lives, so a sample can be made unique; unset: keyed by hash. */
    readonly idPath?: readonly string[];
    /** Headers the provider sends with this body (besides authentication). */
    readonly headers?: (body: string) => Readonly<Record<string, string>>;
  };
  readonly docs: ProviderDocs;
}
