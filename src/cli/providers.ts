// The CLI's one import of the provider registry: when it moves, only this line follows it.
export { PROVIDER_IDS, isProviderId, providerOf, type ProviderId } from '../providers/registry.ts';
