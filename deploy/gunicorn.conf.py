"""gunicorn settings for Anchor: ``gunicorn -c deploy/gunicorn.conf.py config.wsgi``.

gunicorn listens on loopback behind nginx (deploy/nginx/anchor.conf), which terminates TLS
and buffers request bodies, so a slow upload never holds a gunicorn thread.
"""

import os

bind = os.environ.get("ANCHOR_WEB_BIND", "127.0.0.1:8000")
# Threads share one process's memory (Django, pandas); a few processes use the cores.
worker_class = "gthread"
workers = int(os.environ.get("ANCHOR_WEB_WORKERS", "3"))
threads = int(os.environ.get("ANCHOR_WEB_THREADS", "4"))
# A bulk upload of 100,000 rows is parsed and stored in one request; a report on a big study
# runs a bootstrap. Both stay well under this; a stuck request is killed after it.
timeout = 300
graceful_timeout = 30
keepalive = 5
# Recycle processes now and then, so slow growth of memory never accumulates.
max_requests = 2000
max_requests_jitter = 200
# Only nginx on this host may say the request came over HTTPS.
forwarded_allow_ips = "127.0.0.1,::1"
accesslog = "-"
errorlog = "-"
