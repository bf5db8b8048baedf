import type { ProviderId } from '../../shared/providers.ts';
import { persona } from './persona.ts';
import { personaclick } from './personaclick.ts';
import { plextera } from './plextera.ts';
import { primer } from './primer.ts';
import type { ProviderIngress } from './provider-ingress.ts';
import { reachfive } from './reachfive.ts';

export const providerIngress: Readonly<Record<ProviderId, ProviderIngress>> = {
  persona,
  personaclick,
  primer,
  plextera,
  reachfive,
};
