-- The member directory lists members by reputation, newest first.
CREATE INDEX users_reputation ON users(reputation, id);
CREATE INDEX users_created ON users(created_at, id);
