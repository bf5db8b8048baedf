import type { ProviderDefinition } from './provider.ts';
import { github } from './github/index.ts';
import { persona } from './persona/index.ts';
import { personaclick } from './personaclick/index.ts';
import { primer } from './primer/index.ts';
import { plextera } from './plextera/index.ts';
import { reachfive } from './reachfive/index.ts';

/** Every provider hookline knows, in the order the README, OpenAPI and the status page list them. */
export const PROVIDERS = [persona, personaclick, primer, plextera, reachfive, github] as const;

export type ProviderId = (typeof PROVIDERS)[number]['id'];
export type Provider = ProviderDefinition<ProviderId>;

export const PROVIDER_IDS = PROVIDERS.map((provider) => provider.id) as unknown as readonly [ProviderId, ...ProviderId[]];

const BY_ID: ReadonlyMap<string, Provider> = new Map(PROVIDERS.map((provider) => [provider.id, provider]));

export function isProviderId(value: string): value is ProviderId {
  return BY_ID.has(value);
}

/** The definition of `id`, or undefined for a provider hookline does not know. */
export function findProvider(id: string): Provider | undefined {
  return BY_ID.get(id);
}

export function providerOf(id: ProviderId): Provider {
  const provider = BY_ID.get(id);
  if (!provider) throw new Error(`unknown provider ${id}`);
  return provider;
}
