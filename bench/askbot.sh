#!/usr/bin/env bash
# The reference: askbot 0.13.0 (Django, Stack Overflow style) on PostgreSQL,
# served by gunicorn with 2 workers, as ../shared/bench-peers.md describes.
# Its question page gets 20 answers, like guildhall's benchmark question.
#   bench/askbot.sh          # prints "askbot question|list rps p50 p99"
source "$(dirname "$0")/lib.sh"
VENV="$WORK/askbot-venv"
SITE="$WORK/askbot-site"
if [ ! -x "$VENV/bin/askbot-setup" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check askbot==0.13.0 gunicorn
fi
start_pg
trap 'kill ${GPID:-} 2>/dev/null; stop_pg' EXIT
$PG_AS psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -c "CREATE USER askbot PASSWORD 'askbot' CREATEDB" -c "CREATE DATABASE askbot OWNER askbot" >/dev/null
rm -rf "$SITE"  # askbot-setup refuses an existing directory
"$VENV/bin/askbot-setup" --root-directory "$SITE" --proj-name askbotsite --noinput --db-engine postgresql \
  --db-name askbot --db-user askbot --db-password askbot --db-host 127.0.0.1 --db-port "$PG_PORT" \
  --admin-name admin --admin-email admin@example.com --language-code en --timezone UTC >/dev/null
cd "$SITE"
PY="$VENV/bin/python"
$PY manage.py migrate --noinput >/dev/null 2>&1
$PY manage.py collectstatic --noinput >/dev/null 2>&1
$PY manage.py askbot_add_test_content --noinput >/dev/null 2>&1
cp "$("$PY" -c 'import askbot,os; print(os.path.dirname(askbot.__file__))')/setup_templates/django.wsgi" askbotsite/wsgi.py
# 20 answers on question 1, as on guildhall's benchmark question.
$PY manage.py shell >/dev/null 2>&1 <<'PYEOF'
from askbot.models import Post, User
q = Post.objects.get_questions().order_by('id').first()
n = q.thread.posts.filter(post_type='answer').count()
for u in User.objects.all()[:40]:
    if n >= 20: break
    try:
        u.post_answer(question=q, body_text="A benchmark answer long enough to be accepted by askbot. " * 3)
        n += 1
    except Exception:
        pass
PYEOF
PORT="$(free_port)"
"$VENV/bin/gunicorn" askbotsite.wsgi:application --bind "127.0.0.1:$PORT" --workers 2 --access-logfile /dev/null >/dev/null 2>&1 &
GPID=$!
wait_http "http://127.0.0.1:$PORT/questions/"
QURL="$(curl -s -o /dev/null -w '%{redirect_url}' "http://127.0.0.1:$PORT/question/1/" | sed 's#^http://[^/]*##')"
echo "askbot question page: $QURL, $(curl -s "http://127.0.0.1:$PORT$QURL" | wc -c) bytes" >&2
echo "askbot question $(wrk_median "http://127.0.0.1:$PORT$QURL")"
echo "askbot list $(wrk_median "http://127.0.0.1:$PORT/questions/")"
