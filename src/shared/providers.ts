export const PROVIDER_IDS = ['persona', 'personaclick', 'primer', 'plextera', 'reachfive'] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

export function isProviderId(value: string): value is ProviderId {
  return (PROVIDER_IDS as readonly string[]).includes(value);
}
