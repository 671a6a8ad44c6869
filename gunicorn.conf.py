"""gunicorn settings for production (`gunicorn -c gunicorn.conf.py 'webapp:create_app()'`).

Sync workers, two per CPU core (WEB_CONCURRENCY overrides): a check-in spends part of its time
waiting on the database (a PostgreSQL round trip, SQLite's write lock), and a second worker per
core fills that time. bench/checkin_storm.py measured 2 and 4 workers on a 2-core machine:
4 gave the more check-ins per second on both databases.
"""
import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count()))
worker_class = "sync"
timeout = 30
