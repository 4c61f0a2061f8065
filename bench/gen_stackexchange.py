#!/usr/bin/env python3
"""Generate a Stack Exchange data dump of N posts (default 1,000,000) for the
import benchmark: Users, Tags, Posts (1 question : 3 answers, HTML bodies
with paragraphs, code, lists, links), Comments, Votes, PostHistory (the
initial rows of every post and an edit of one in ten), PostLinks, Badges.
Deterministic (seeded). Usage: gen_stackexchange.py DIR [POSTS]"""
import os, random, sys
from xml.sax.saxutils import quoteattr

out = sys.argv[1]
posts = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
os.makedirs(out, exist_ok=True)
r = random.Random(42)
WORDS = ("rust async runtime pool connection database query index latency server thread memory cache lock "
         "transaction vote reputation community review tag error build compile test deploy network socket buffer "
         "stream parser tokio axum sqlx postgres sqlite docker linux kernel timeout retry request response header "
         "异步 连接池 数据库 索引 延迟 服务器 线程 内存 缓存 事务 投票 声望 社区 审核 标签 错误 编译 测试 部署").split()
def words(n): return " ".join(r.choice(WORDS) for _ in range(n))
def date(i): # spread over ten years
    t = 1_262_304_000 + i * 300
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%S.000", time.gmtime(t))
def body():
    parts = [f"<p>{words(r.randint(20, 60))}</p>"]
    k = r.random()
    if k < 0.5:
        parts.append(f"<pre><code>fn main() {{\n    println!(\"{words(4)}\");\n}}\n</code></pre>")
    if k > 0.7:
        parts.append("<ul>\n" + "".join(f"<li>{words(5)} <code>{r.choice(WORDS)}</code></li>\n" for _ in range(3)) + "</ul>")
    parts.append(f"<p>See <a href=\"https://example.com/{r.randint(1, 9999)}\">{words(3)}</a> and <strong>{words(2)}</strong>.</p>")
    return "\n\n".join(parts) + "\n"
def row(f, **a):
    f.write("  <row " + " ".join(f"{k}={quoteattr(str(v), {chr(10): '&#xA;'})}" for k, v in a.items() if v is not None) + " />\n")

users = max(100, posts // 20)
tags = [f"tag-{i}" for i in range(500)]
with open(f"{out}/Users.xml", "w") as f:
    f.write('<?xml version="1.0" encoding="utf-8"?>\n<users>\n')
    for u in range(1, users + 1):
        row(f, Id=u, Reputation=r.randint(1, 5000), CreationDate=date(u), DisplayName=f"Member {u}",
            Location="Somewhere" if u % 3 == 0 else None, AboutMe=f"<p>{words(8)}</p>" if u % 4 == 0 else None,
            Views=0, UpVotes=0, DownVotes=0, AccountId=u)
    f.write("</users>\n")
with open(f"{out}/Tags.xml", "w") as f:
    f.write('<?xml version="1.0" encoding="utf-8"?>\n<tags>\n')
    for i, t in enumerate(tags, 1):
        row(f, Id=i, TagName=t, Count=0)
    f.write("</tags>\n")
pf = open(f"{out}/Posts.xml", "w"); hf = open(f"{out}/PostHistory.xml", "w")
cf = open(f"{out}/Comments.xml", "w"); vf = open(f"{out}/Votes.xml", "w")
pf.write('<?xml version="1.0" encoding="utf-8"?>\n<posts>\n'); hf.write('<?xml version="1.0" encoding="utf-8"?>\n<posthistory>\n')
cf.write('<?xml version="1.0" encoding="utf-8"?>\n<comments>\n'); vf.write('<?xml version="1.0" encoding="utf-8"?>\n<votes>\n')
pid = h = c = v = 0
question = 0
while pid < posts:
    pid += 1
    if (pid - 1) % 4 == 0:
        question = pid
        tg = r.sample(tags, r.randint(1, 4))
        title = words(r.randint(5, 10))
        row(pf, Id=pid, PostTypeId=1, AcceptedAnswerId=pid + 1 if r.random() < 0.4 and pid + 1 <= posts else None,
            CreationDate=date(pid), Score=0, ViewCount=r.randint(1, 5000), Body=body(), OwnerUserId=r.randint(1, users),
            LastActivityDate=date(pid + 3), Title=title, Tags="".join(f"<{t}>" for t in tg), AnswerCount=3, CommentCount=0)
        g = f"guid-{pid}"
        for t, text in ((1, title), (2, words(30)), (3, "".join(f"<{t}>" for t in tg))):
            h += 1; row(hf, Id=h, PostHistoryTypeId=t, PostId=pid, RevisionGUID=g, CreationDate=date(pid), UserId=1, Text=text)
    else:
        row(pf, Id=pid, PostTypeId=2, ParentId=question, CreationDate=date(pid), Score=0, Body=body(),
            OwnerUserId=r.randint(1, users), LastActivityDate=date(pid), CommentCount=0)
        h += 1; row(hf, Id=h, PostHistoryTypeId=2, PostId=pid, RevisionGUID=f"guid-{pid}", CreationDate=date(pid), UserId=1, Text=words(30))
    if pid % 10 == 0:
        h += 1; row(hf, Id=h, PostHistoryTypeId=5, PostId=pid, RevisionGUID=f"edit-{pid}", CreationDate=date(pid + 1), UserId=2, Text=words(35), Comment="edited")
    for _ in range(r.choice((0, 0, 1, 2))):
        c += 1; row(cf, Id=c, PostId=pid, Score=0, Text=words(12), CreationDate=date(pid + 1), UserId=r.randint(1, users))
    for _ in range(r.choice((0, 1, 2, 3, 4))):
        v += 1; row(vf, Id=v, PostId=pid, VoteTypeId=2 if r.random() < 0.85 else 3, CreationDate=date(pid)[:10] + "T00:00:00.000")
for f, root in ((pf, "posts"), (hf, "posthistory"), (cf, "comments"), (vf, "votes")):
    f.write(f"</{root}>\n"); f.close()
with open(f"{out}/PostLinks.xml", "w") as f:
    f.write('<?xml version="1.0" encoding="utf-8"?>\n<postlinks>\n')
    for i in range(1, posts // 200):
        row(f, Id=i, CreationDate=date(i), PostId=1 + 4 * r.randint(1, posts // 4 - 1), RelatedPostId=1, LinkTypeId=1)
    f.write("</postlinks>\n")
with open(f"{out}/Badges.xml", "w") as f:
    f.write('<?xml version="1.0" encoding="utf-8"?>\n<badges>\n')
    for i in range(1, users * 2):
        row(f, Id=i, UserId=r.randint(1, users), Name=r.choice(("Student", "Teacher", "Autobiographer", "Supporter", "Nice Answer")), Date=date(i), Class=3, TagBased="False")
    f.write("</badges>\n")
print(f"{posts} posts, {users} users, {c} comments, {v} votes, {h} history rows in {out}")
