import type { Access } from './authz/access.js';
import type { DbHandle } from './db/database.js';
import { unprocessable } from './errors.js';
import type { GitAuthor } from './git/index.js';

/** The author of a commit the caller asks for: the user, or an API key's owner (none left: 422). */
export async function commitAuthor(db: DbHandle, access: Access): Promise<GitAuthor> {
  const userId = access.actor.userId;
  const user =
    userId === null
      ? undefined
      : await db.selectFrom('users').select(['username', 'email']).where('id', '=', userId).executeTakeFirst();
  if (!user) throw unprocessable('this API key has no owner any more: a commit needs an author');
  return { name: user.username, email: user.email };
}
