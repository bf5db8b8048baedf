import type { RouteFilter } from '../config/config.ts';
import type { AlertItem } from './alert-item.ts';

/**
 * Whether a destination with this filter gets the alert (SPEC sections 4 and 7):
 * - an event, when its provider, category and status match;
 * - a recovery, also where only failures go (the people told of the failures hear it is over);
 * - the end of a stuck run, wherever the stuck report went (destinations that receive `failed`);
 * - a stuck report, wherever `failed` goes.
 */
export function routeAccepts(filter: RouteFilter, item: AlertItem): boolean {
  const provider = item.kind === 'event' ? item.event.provider : item.report.provider;
  const category = item.kind === 'event' ? item.event.category : item.report.category;
  if (filter.providers && !filter.providers.has(provider)) return false;
  if (filter.categories && !filter.categories.has(category)) return false;
  if (item.kind === 'stuck') return filter.statuses.has('failed');
  const { event, notes } = item;
  if (filter.statuses.has(event.status)) return true;
  if (notes?.recovered && (filter.statuses.has('failed') || filter.statuses.has('partial'))) return true;
  if (notes?.unstuck && filter.statuses.has('failed')) return true;
  return false;
}
