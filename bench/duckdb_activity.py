"""The reference: OpenDigger's activity per (month, repository, developer)
computed by DuckDB from the same GH Archive file, written to a DuckDB
table on disk (what guildhall's import keeps in its database).
Merged pull requests are credited to the pull request's author."""
import duckdb, os, shutil, sys, tempfile, time

path = sys.argv[1]
tmp = tempfile.mkdtemp(prefix="guildhall-duckdb-")
db = os.path.join(tmp, "bench.duckdb")
con = duckdb.connect(db)
t = time.time()
con.execute(f"""
CREATE TABLE activity AS
WITH e AS (
  SELECT type, actor.id AS actor_id, repo.id AS repo_id, created_at,
         json_extract_string(payload, '$.action') AS action,
         CAST(json_extract(payload, '$.pull_request.merged') AS BOOLEAN) AS merged,
         CAST(json_extract(payload, '$.pull_request.user.id') AS BIGINT) AS pr_author
  FROM read_json('{path}', format = 'newline_delimited',
       columns = {{type: 'VARCHAR', actor: 'STRUCT(id BIGINT, login VARCHAR)', repo: 'STRUCT(id BIGINT, name VARCHAR)',
                   payload: 'JSON', created_at: 'TIMESTAMP', id: 'VARCHAR'}})
), credited AS (
  SELECT date_trunc('month', created_at) AS month, repo_id,
         CASE WHEN type = 'PullRequestEvent' AND action = 'closed' AND merged THEN pr_author ELSE actor_id END AS dev,
         (type = 'IssueCommentEvent' AND action = 'created')::INT AS c,
         (type = 'IssuesEvent' AND action = 'opened')::INT AS i,
         (type = 'PullRequestEvent' AND action = 'opened')::INT AS p,
         (type = 'PullRequestReviewCommentEvent' AND action = 'created')::INT AS rc,
         (type = 'PullRequestEvent' AND action = 'closed' AND merged)::INT AS m
  FROM e
)
SELECT month, repo_id, dev AS actor_id,
       sqrt(0.5252 * sum(c) + 2.2235 * sum(i) + 4.0679 * sum(p) + 0.7427 * sum(rc) + 2.0339 * sum(m)) AS activity
FROM credited GROUP BY month, repo_id, dev
""")
n = con.execute("SELECT count(*), count(*) FILTER (WHERE activity > 0) FROM activity").fetchone()
print(f"duckdb {duckdb.__version__}: activity of {n[0]} (month, repo, developer) rows, {n[1]} with activity > 0, in {time.time() - t:.1f} s")
con.close()
shutil.rmtree(tmp)
