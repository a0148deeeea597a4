import { noBody, parse, type Sidecar } from '@parley/service-kit';
import { type RequestHandler, Router } from 'express';
import type { IndexedPerson, SearchBackend } from '../engine/types';
import { peopleSearchQuery } from '../messages/search-schemas';

/**
 * `GET /v1/search/people`: usernames and display names from the people index. Email addresses
 * are not in this service at all: a query holding an `@` is also put to the auth service's
 * directory (with the caller's own token), which matches a whole address only and answers
 * public fields only. No result here ever carries an email.
 */
export function peopleSearchRoutes(backend: SearchBackend, sidecar: Sidecar, guard: RequestHandler): Router {
  const router = Router();

  router.get('/v1/search/people', guard, async (req, res) => {
    const { q, limit } = parse(peopleSearchQuery, req.query, 'query');
    parse(noBody, req.body, 'body');
    const found = await backend.searchPeople({ text: q, limit });
    if (q.includes('@') && q.length >= 2) {
      const byEmail = await directoryByEmail(sidecar, q, limit, req.get('authorization') ?? '');
      const seen = new Set(found.map((p) => p.id));
      for (const person of byEmail) if (!seen.has(person.id)) found.push(person);
    }
    res.json({ people: found.slice(0, limit).map(publicPerson) });
  });

  return router;
}

function publicPerson(person: IndexedPerson): IndexedPerson {
  return {
    id: person.id,
    username: person.username,
    displayName: person.displayName,
    avatarMediaId: person.avatarMediaId,
  };
}

async function directoryByEmail(
  sidecar: Sidecar,
  q: string,
  limit: number,
  authorization: string,
): Promise<IndexedPerson[]> {
  const params = new URLSearchParams({ q, limit: String(limit) });
  const result = await sidecar.invoke<{ users?: IndexedPerson[] }>('auth', `v1/users?${params}`, {
    headers: { authorization },
    signal: AbortSignal.timeout(5_000),
  });
  // The directory is a convenience: when auth cannot answer, people search still does.
  return result.status === 200 && Array.isArray(result.body.users) ? result.body.users : [];
}
