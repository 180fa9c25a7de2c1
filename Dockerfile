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
    HEALTH_PORT=8080
COPY --from=build /install /usr/local
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin bot
USER bot
WORKDIR /home/bot
EXPOSE 3000 8080
# /healthz is served on PORT in HTTP mode and on HEALTH_PORT in Socket Mode.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, sys, urllib.request; mode_port = os.environ.get('HEALTH_PORT') if os.environ.get('SLACK_APP_TOKEN') else os.environ.get('PORT'); sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{mode_port}/healthz', timeout=4).status == 200 else 1)"
ENTRYPOINT ["serviceops-bot"]
CMD ["run"]
