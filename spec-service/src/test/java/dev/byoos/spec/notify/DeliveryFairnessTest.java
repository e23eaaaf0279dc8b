package dev.byoos.spec.notify;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.byoos.contract.EventTypes;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.TestTokens;

/**
 * The dispatcher's fairness on real PostgreSQL: a receiver that holds its answer occupies one
 * attempt, never the other teams' deliveries, and one subscription never has two attempts in
 * flight. The receivers are on loopback and answer each request on a thread of its own; deliveries
 * are queued straight into the table, as a consumer's transaction would.
 */
@QuarkusTest
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "spec_service"))
class DeliveryFairnessTest {

    static final Duration TIMEOUT = Duration.ofSeconds(60);
    static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    Pool pool;

    HttpServer receiver;
    ExecutorService handlers;
    /** Released at the end of each test at the latest, so no receiver thread outlives it. */
    final CountDownLatch release = new CountDownLatch(1);
    /** Event ids in the order their requests arrived on /held, and on /prompt. */
    final List<String> held = new CopyOnWriteArrayList<>();
    final List<String> prompt = new CopyOnWriteArrayList<>();
    /** Requests on /held not yet answered, and the most there ever were at once. */
    final AtomicInteger heldInFlight = new AtomicInteger();
    final AtomicInteger mostHeldInFlight = new AtomicInteger();
    /** How many /prompt requests had arrived when each /held request was answered. */
    final List<Integer> promptBeforeHeldAnswered = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws IOException {
        handlers = Executors.newCachedThreadPool();
        receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        receiver.setExecutor(handlers);
        receiver.createContext("/held", this::hold);
        receiver.createContext("/prompt", exchange -> {
            prompt.add(eventId(exchange));
            answer(exchange);
        });
        receiver.start();
    }

    @AfterEach
    void stop() {
        release.countDown();
        receiver.stop(0);
        handlers.shutdownNow();
    }

    /** Answers only once the test releases it. */
    private void hold(HttpExchange exchange) throws IOException {
        mostHeldInFlight.accumulateAndGet(heldInFlight.incrementAndGet(), Math::max);
        held.add(eventId(exchange));
        try {
            release.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        promptBeforeHeldAnswered.add(prompt.size());
        heldInFlight.decrementAndGet();
        answer(exchange);
    }

    private static String eventId(HttpExchange exchange) throws IOException {
        return JSON.readTree(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8))
                .path("id").asText();
    }

    private static void answer(HttpExchange exchange) throws IOException {
        exchange.sendResponseHeaders(204, -1);
        exchange.close();
    }

    @Test
    void anotherTeamsDeliveryArrivesWhileASlowReceiverHoldsItsAnswer() {
        UUID slow = subscribe("fair-a-" + suffix(), "/held");
        UUID normal = subscribe("fair-b-" + suffix(), "/prompt");
        String held1 = queue(slow);
        await("team A's delivery in the receiver's hands").atMost(TIMEOUT).until(() -> held.contains(held1));

        String promptly = queue(normal);
        await("team B's delivery").atMost(TIMEOUT).until(() -> prompt.contains(promptly));
        release.countDown();

        await("team A's delivery").atMost(TIMEOUT).until(() -> "DELIVERED".equals(state(held1)));
        assertEquals(List.of(1), promptBeforeHeldAnswered, "B's delivery arrived before A's held one was answered");
        assertEquals(List.of(204), statuses(held1), "A's held attempt itself was accepted, not timed out");
    }

    @Test
    void twoDeliveriesToOneSubscriptionAreNeverInFlightTogether() {
        UUID slow = subscribe("fair-c-" + suffix(), "/held");
        UUID other = subscribe("fair-d-" + suffix(), "/prompt");
        // Both due at once, in one statement: a dispatcher that ignored the subscription would claim both.
        List<String> queued = queue(slow, 2);
        await("the first in the receiver's hands").atMost(TIMEOUT).until(() -> !held.isEmpty());

        // A delivery queued after both and sent while the first is held: the dispatcher has passed
        // over the second since, and has not sent it.
        String later = queue(other);
        await("another subscription's delivery").atMost(TIMEOUT).until(() -> prompt.contains(later));
        assertEquals(1, held.size(), "the second was not sent while the first was held: " + held);
        release.countDown();

        await("both delivered").atMost(TIMEOUT).until(() -> queued.stream().allMatch(id -> "DELIVERED"
                .equals(state(id))));
        assertEquals(queued, held, "one attempt each, the earlier queued first");
        assertEquals(1, mostHeldInFlight.get(), "never two in flight to one subscription");
    }

    private static String suffix() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    private UUID subscribe(String team, String path) {
        String url = "http://127.0.0.1:" + receiver.getAddress().getPort() + path;
        return UUID.fromString(NotificationsTest.subscribe(TestTokens.bearer("fair-submitter", "submitter", team),
                team, url, List.of(EventTypes.BUILD_FAILED)).statusCode(201).extract().path("id"));
    }

    private String queue(UUID subscription) {
        return queue(subscription, 1).get(0);
    }

    /** Queues {@code count} deliveries to the subscription, due now, created in order; their event ids. */
    private List<String> queue(UUID subscription, int count) {
        List<String> events = IntStream.range(0, count).mapToObj(i -> UUID.randomUUID().toString()).toList();
        pool.preparedQuery("""
                insert into notification_delivery (id, subscription_id, event_id, event_type, payload, created_at)
                select gen_random_uuid(), $1, e.id, $2, json_build_object('id', e.id)::text,
                       now() + make_interval(secs => e.n / 1000.0)
                from unnest($3::text[]) with ordinality as e (id, n)""")
                .execute(Tuple.of(subscription, EventTypes.BUILD_FAILED, events.toArray(String[]::new)))
                .await().atMost(TIMEOUT);
        return events;
    }

    private String state(String eventId) {
        return pool.preparedQuery("select state from notification_delivery where event_id = $1")
                .execute(Tuple.of(eventId)).await().atMost(TIMEOUT).iterator().next().getString("state");
    }

    private List<Integer> statuses(String eventId) {
        return pool.preparedQuery("""
                select a.status from notification_attempt a join notification_delivery d on d.id = a.delivery_id
                where d.event_id = $1 order by a.number""")
                .execute(Tuple.of(eventId)).await().atMost(TIMEOUT).stream().map(row -> row.getInteger("status"))
                .toList();
    }
}
