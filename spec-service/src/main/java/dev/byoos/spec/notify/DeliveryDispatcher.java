package dev.byoos.spec.notify;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;

import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Sends queued deliveries ({@link Deliveries}) on threads of its own, so that a slow or absent
 * receiver never delays an event consumer, and delays no other subscription's deliveries either:
 * up to {@code concurrency} attempts are in flight at once, at most one per subscription. A
 * polling thread claims due deliveries for the free slots (leasing each for as long as sending and
 * recording it may take) and hands each to a sender thread, which POSTs it as a signed
 * structured-mode CloudEvent and records the attempt with its outcome in the same statement that
 * schedules the next one: capped exponential backoff, FAILED after {@code max-attempts}.
 */
@ApplicationScoped
public class DeliveryDispatcher {

    public static final String TIMESTAMP_HEADER = "X-Byoos-Timestamp";
    public static final String DELIVERY_HEADER = "X-Byoos-Delivery";
    public static final String SIGNATURE_HEADER = "X-Byoos-Signature";
    public static final String CONTENT_TYPE = "application/cloudevents+json";

    private static final Logger LOG = Logger.getLogger(DeliveryDispatcher.class);
    /** Errors are logged per attempt and shown by the API; a receiver's text is never stored in full. */
    private static final int MAX_ERROR_LENGTH = 500;

    private final Pool pool;
    private final NotificationConfig config;
    private final ReceiverUrls urls;
    private final HttpClient http;
    private final SecretCipher cipher;
    private final Subscriptions subscriptions;
    /** One per attempt in flight on this replica; the polling thread claims only as many deliveries as are free. */
    private final Semaphore slots;
    /** Claims; a single thread, so passes never overlap. */
    private ScheduledExecutorService poller;
    private ExecutorService senders;

    public DeliveryDispatcher(Pool pool, NotificationConfig config, SecretCipher cipher, Subscriptions subscriptions) {
        this.pool = pool;
        this.config = config;
        this.cipher = cipher;
        this.subscriptions = subscriptions;
        this.urls = new ReceiverUrls(config.allowedHosts().orElse(List.of()));
        // Redirects are not followed: a receiver could otherwise send the service to an internal address.
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(config.timeout()).build();
        this.slots = new Semaphore(config.concurrency());
    }

    void onStart(@Observes @Priority(Interceptor.Priority.APPLICATION + 1000) StartupEvent event) {
        poller = Executors.newSingleThreadScheduledExecutor(task -> daemon(task, "notification-dispatcher"));
        senders = Executors.newFixedThreadPool(config.concurrency(), task -> daemon(task, "notification-sender"));
        long every = config.pollInterval().toMillis();
        poller.scheduleWithFixedDelay(this::dispatchDue, every, every, TimeUnit.MILLISECONDS);
    }

    private static Thread daemon(Runnable task, String name) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        return thread;
    }

    /**
     * Claims no more, and gives the attempts in flight one timeout to finish and be recorded. One
     * still running then is interrupted unrecorded: its lease expires and a replica sends it again
     * (receivers deduplicate by the CloudEvent id), so no delivery is lost.
     */
    void onShutdown(@Observes ShutdownEvent event) throws InterruptedException {
        if (poller == null) {
            return;
        }
        poller.shutdownNow();
        senders.shutdown();
        if (!senders.awaitTermination(config.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
            senders.shutdownNow();
        }
    }

    /** {@code secret} as stored: encrypted ({@link SecretCipher}), or in plain text if written before that. */
    private record Claimed(UUID id, Instant due, String payload, int roundAttempts, UUID subscription, String url,
            String secret) {
        static Claimed of(Row row) {
            return new Claimed(row.getUUID("id"), row.getOffsetDateTime("due_at").toInstant(), row.getString("payload"),
                    row.getInteger("round_attempts"), row.getUUID("subscription_id"), row.getString("url"),
                    row.getString("secret"));
        }
    }

    /**
     * One pass on the polling thread: claims a delivery for every free slot and hands each to a
     * sender, whose end frees the slot and starts another pass (so a queue drains without waiting
     * for the poll interval). A failure is logged and the next pass tries again (an escaping one
     * would stop the loop).
     */
    void dispatchDue() {
        try {
            int free = slots.availablePermits();
            if (free == 0) {
                return;
            }
            for (Claimed delivery : claim(free)) {
                // Only this thread acquires, so the permit counted above is still there.
                slots.acquireUninterruptibly();
                senders.execute(() -> sendAndFreeSlot(delivery));
            }
        } catch (RejectedExecutionException e) {
            // Shutting down: what was claimed but not started is leased, and sent again once the lease expires.
        } catch (RuntimeException e) {
            LOG.warnf("notification dispatch pass failed, retrying in %s: %s", config.pollInterval(), e.toString());
        }
    }

    /** On a sender thread. An attempt not recorded (the database failed) is sent again when its lease expires. */
    private void sendAndFreeSlot(Claimed delivery) {
        try {
            send(delivery);
        } catch (RuntimeException e) {
            LOG.warnf("notification delivery %s attempt not recorded, retried when its lease expires: %s",
                    delivery.id(), e.toString());
        } finally {
            slots.release();
            try {
                poller.execute(this::dispatchDue);
            } catch (RejectedExecutionException e) {
                // Shutting down: no more passes.
            }
        }
    }

    /**
     * Up to {@code limit} due deliveries, oldest first, each of a subscription with no attempt in
     * flight on any replica, and of such a subscription only its oldest due delivery: a receiver
     * gets one attempt at a time, the earliest queued first. Each is leased: its next
     * attempt moved past the time sending and recording it may take, and marked in flight until
     * then. Claims are serialized across replicas by a transaction-scoped advisory lock, so each
     * sees the leases every earlier one took; row locks skipped besides (a row being recorded).
     */
    private List<Claimed> claim(int limit) {
        // Sending takes at most one timeout, recording it at most another; the third is slack.
        Duration lease = config.timeout().multipliedBy(3);
        List<Claimed> claimed = new ArrayList<>();
        pool.withTransaction(connection -> connection.query(
                        "select pg_advisory_xact_lock(hashtext('byoos.notification-claim'))").execute()
                .chain(() -> connection.preparedQuery("""
                        with heads as (
                            select distinct on (d.subscription_id) d.id from notification_delivery d
                            where d.state = 'PENDING' and d.next_attempt_at <= now()
                              and not exists (select 1 from notification_delivery f
                                  where f.subscription_id = d.subscription_id and f.state = 'PENDING'
                                    and f.leased_until > now())
                            order by d.subscription_id, d.created_at, d.id),
                        due as (
                            select id, next_attempt_at from notification_delivery
                            where id in (select id from heads) and state = 'PENDING' and next_attempt_at <= now()
                            order by next_attempt_at, id limit $1 for update skip locked)
                        update notification_delivery d set next_attempt_at = now() + make_interval(secs => $2),
                            leased_until = now() + make_interval(secs => $2)
                        from due, notification_subscription s
                        where d.id = due.id and s.id = d.subscription_id
                        returning d.id, due.next_attempt_at as due_at, d.payload, d.round_attempts, d.subscription_id,
                             s.url, s.secret""")
                        .execute(Tuple.of(limit, lease.toMillis() / 1000.0))))
                .await().atMost(config.timeout())
                .forEach(row -> claimed.add(Claimed.of(row)));
        claimed.sort(Comparator.comparing(Claimed::due).thenComparing(Claimed::id));
        return claimed;
    }

    private void send(Claimed delivery) {
        Integer status = null;
        String error = null;
        Optional<String> refusal = urls.refusal(delivery.url());
        String secret = null;
        if (refusal.isEmpty()) {
            try {
                secret = secret(delivery);
            } catch (SecretCipher.UnreadableSecretException e) {
                refusal = Optional.of("subscription " + delivery.subscription() + " has no usable signing secret: "
                        + e.getMessage() + " (delete it and subscribe again)");
            }
        }
        if (refusal.isPresent()) {
            error = "not sent: " + refusal.get();
        } else {
            String timestamp = Long.toString(Instant.now().getEpochSecond());
            HttpRequest request = HttpRequest.newBuilder(URI.create(delivery.url())).timeout(config.timeout())
                    .header("Content-Type", CONTENT_TYPE)
                    .header(TIMESTAMP_HEADER, timestamp)
                    .header(DELIVERY_HEADER, delivery.id().toString())
                    .header(SIGNATURE_HEADER, signature(secret, timestamp, delivery.payload()))
                    .POST(HttpRequest.BodyPublishers.ofString(delivery.payload(), StandardCharsets.UTF_8))
                    .build();
            // The request timeout ends at the answer's headers; waiting on the future bounds the body
            // too, so a receiver that trickles an endless answer cannot hold the dispatcher.
            CompletableFuture<HttpResponse<Void>> answer = http.sendAsync(request,
                    HttpResponse.BodyHandlers.discarding());
            try {
                status = answer.get(config.timeout().toMillis(), TimeUnit.MILLISECONDS).statusCode();
                if (status / 100 != 2) {
                    error = "HTTP " + status + (status / 100 == 3 ? " (redirects are not followed)" : "");
                }
            } catch (InterruptedException e) {
                answer.cancel(true);
                Thread.currentThread().interrupt();
                return;
            } catch (TimeoutException e) {
                answer.cancel(true);
                error = "no complete answer within " + config.timeout();
            } catch (ExecutionException e) {
                Throwable cause = e.getCause() == null ? e : e.getCause();
                error = cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
            }
        }
        record(delivery, status, error);
    }

    /**
     * The subscription's secret in clear; one still in plain text or under a previous key is stored
     * again under the current key first (only if the row is unchanged: another replica may be first).
     */
    private String secret(Claimed delivery) {
        SecretCipher.Opened opened = cipher.open(delivery.subscription(), delivery.secret());
        if (opened.stale()) {
            subscriptions.reseal(delivery.subscription(), delivery.secret(), opened.secret())
                    .await().atMost(config.timeout());
        }
        return opened.secret();
    }

    /** The attempt, and the delivery's next state, in one statement. */
    private void record(Claimed delivery, Integer status, String error) {
        boolean delivered = error == null;
        int round = delivery.roundAttempts() + 1;
        Duration backoff = backoff(round, config.initialBackoff(), config.maxBackoff());
        if (!delivered) {
            LOG.infof("notification delivery %s attempt failed (%s); %s", delivery.id(), error,
                    round >= config.maxAttempts() ? "giving up" : "next in " + backoff);
        }
        pool.preparedQuery("""
                with attempt as (
                    update notification_delivery set attempts = attempts + 1, round_attempts = round_attempts + 1,
                        state = case when $2 then 'DELIVERED' when round_attempts + 1 >= $3 then 'FAILED' else 'PENDING' end,
                        delivered_at = case when $2 then now() else delivered_at end,
                        next_attempt_at = now() + make_interval(secs => $4), leased_until = null
                    where id = $1 returning id, attempts)
                insert into notification_attempt (delivery_id, number, status, error)
                select id, attempts, $5, $6 from attempt""")
                .execute(Tuple.from(List.of(delivery.id(), delivered, config.maxAttempts(), backoff.toMillis() / 1000.0))
                        .addInteger(status).addString(error == null ? null : abbreviate(error)))
                .await().atMost(config.timeout());
    }

    /** The wait after the {@code round}th failed attempt: doubling from {@code initial}, at most {@code max}. */
    static Duration backoff(int round, Duration initial, Duration max) {
        Duration wait = initial;
        for (int i = 1; i < round && wait.compareTo(max) < 0; i++) {
            wait = wait.multipliedBy(2);
        }
        return wait.compareTo(max) > 0 ? max : wait;
    }

    /** {@code sha256=} and the hex HMAC-SHA256, keyed with the secret's UTF-8 bytes, of {@code timestamp.body}. */
    public static String signature(String secret, String timestamp, String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return "sha256=" + HexFormat.of().formatHex(mac.doFinal((timestamp + "." + body)
                    .getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    private static String abbreviate(String error) {
        return error.length() <= MAX_ERROR_LENGTH ? error : error.substring(0, MAX_ERROR_LENGTH) + "…";
    }
}
