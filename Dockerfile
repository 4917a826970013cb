# One image for every Tiên Phong process: the three HTTP services (`serve NAME`), the outbox relays
# (`relay NAME`), the Kafka consumers (`consume NAME`) and the one-shot `migrate` / `topics` commands.
# docker-compose.yml picks the process with `command:`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

RUN groupadd --system --gid 10001 tienphong \
    && useradd --system --uid 10001 --gid tienphong --home-dir /app --shell /usr/sbin/nologin tienphong

# fonts-dejavu-core: DejaVu Serif with every Vietnamese letter, embedded in the báo cáo PDFs (TIENPHONG_PDF_FONT_DIR)
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY pyproject.toml README.md ./
COPY shared/ shared/
COPY services/ services/
COPY tienphong/ tienphong/
RUN pip install --no-cache-dir . \
    && rm -rf /src /root/.cache

WORKDIR /app
RUN mkdir -p /app/data && chown -R tienphong:tienphong /app

# Containers must listen on all interfaces (the default 127.0.0.1 is for a developer's machine).
ENV TIENPHONG_BIND=0.0.0.0 \
    TIENPHONG_DATA_DIR=/app/data

USER tienphong:tienphong
EXPOSE 8001 8002 8003

ENTRYPOINT ["tienphong"]
CMD ["--help"]
