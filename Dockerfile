# serviceops-bot: a small image that runs the bot as an unprivileged user.
# Build: docker build -t serviceops-bot .
# Run:   docker run --env-file .env serviceops-bot          (Socket Mode)
#        docker run --env-file .env -p 3000:3000 serviceops-bot run --mode http

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PORT=3000 \
    HEALTH_PORT=8080 \
    STATE_URL=sqlite:////home/bot/data/serviceops-bot.sqlite3
COPY --from=build /install /usr/local
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin bot \
    && mkdir /home/bot/data && chown bot:bot /home/bot/data
USER bot
WORKDIR /home/bot
# Tickets' links to their threads (follow-through) live here: mount a volume to keep them.
VOLUME ["/home/bot/data"]
EXPOSE 3000 8080
# /healthz is served on PORT when anything is served over HTTP (Slack's HTTP mode, Teams, the
# ServiceOps webhook) and on HEALTH_PORT with Slack's Socket Mode alone: healthy if either answers.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request\nfor name in ('PORT', 'HEALTH_PORT'):\n    port = os.environ.get(name)\n    try:\n        if port and urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=2).status == 200:\n            sys.exit(0)\n    except OSError:\n        pass\nsys.exit(1)"]
ENTRYPOINT ["serviceops-bot"]
CMD ["run"]
