import express, { type Router } from 'express';
import type { Queryable } from '../db/db.ts';
import type { OpenReplayQueues } from '../replay/replay-queues.ts';
import type { AdminSession } from './admin-auth.ts';
import { readEventPage } from './event-data.ts';
import { errorAnswer, sendError } from '../shared/http-errors.ts';

/**
 * One event as JSON (`GET /admin/api/events/<key>`), for `hookline show` against a running
 * hookline: the data of the event page (src/admin/event-data.ts), read the same way. Mounted under
 * /admin/api after the router's authentication; Bearer only, like the rest of the API.
 */
export function eventApi(db: Queryable, queues: OpenReplayQueues, queuePrefix: string): Router {
  const api = express.Router();
  api.get('/events/:key', async (req, res, next) => {
    try {
      if ((res.locals.session as AdminSession | undefined)?.via !== 'bearer') {
        return res.status(401).json({ error: 'unauthorized', message: 'the API takes Authorization: Bearer <ADMIN_TOKEN>' });
      }
      const key = req.params.key;
      let data: Awaited<ReturnType<typeof readEventPage>>;
      try {
        data = await readEventPage(db, queues, queuePrefix, key);
      } catch (error) {
        return res.status(503).json({ error: 'unavailable', message: error instanceof Error ? error.message : String(error) });
      }
      // Its own code: a plain 404 means this hookline has no such route (or no /admin at all).
      if (!data) return sendError(res, errorAnswer('no_such_event', `no event with key ${key}`), { key });
      res.json({ event: data });
    } catch (error) {
      next(error);
    }
  });
  return api;
}
