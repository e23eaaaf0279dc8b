package dev.byoos.spec.rest;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.TestTokens;

/**
 * A burst of submissions far beyond the database pool, on the real database: many are told to come
 * back (503), and once the burst is over the pool is whole again. Every connection returns: the
 * outbox relays what was accepted, and the pool's every connection can be taken at once. With a
 * short acquire timeout the pool grows while waiters give up, the race in which vertx-sql-client's
 * own connection timeout leases connections to nobody ({@link dev.byoos.spec.config.DatabasePool}).
 */
@QuarkusTest
@TestProfile(PoolRecoveryAfterOverloadTest.SmallPool.class)
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "spec_service"))
class PoolRecoveryAfterOverloadTest {

    static final String ADMIN = TestTokens.bearer("overload-test", "admin");
    static final int SUBMISSIONS = 400;

    static final int POOL_SIZE = 20;

    /** The production pool size, opened as it is needed, and a wait for a connection about as long as opening one. */
    public static class SmallPool implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.datasource.reactive.max-size", Integer.toString(POOL_SIZE),
                    "byoos.spec.database.acquire-timeout", "100ms",
                    "byoos.spec.database.max-waiting", "64");
        }
    }

    @Inject
    Pool pool;

    @TestHTTPResource("/api/v1/specs")
    URL specs;

    @Test
    void everyConnectionReturnsAfterABurstBeyondThePool() throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        String prefix = "burst-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
        List<CompletableFuture<?>> sent = new ArrayList<>();
        for (int i = 0; i < SUBMISSIONS; i++) {
            HttpRequest request = HttpRequest.newBuilder(URI.create(specs.toString()))
                    .header("Authorization", ADMIN).header("Content-Type", "application/yaml")
                    .timeout(Duration.ofSeconds(60))
                    .POST(HttpRequest.BodyPublishers.ofString(SpecPipelineTest.exampleSpec(prefix + i), StandardCharsets.UTF_8))
                    .build();
            sent.add(http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
                    .thenAccept(response -> statuses.merge(response.statusCode(), 1, Integer::sum)));
        }
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).join();
        assertTrue(statuses.getOrDefault(503, 0) > 0, "the burst overloaded the pool: " + statuses);
        assertTrue(statuses.getOrDefault(201, 0) > 0, "and some submissions got in: " + statuses);

        // This test's accepted builds are relayed (other test classes may leave records of their own).
        await("the outbox relayed after the burst").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                .ignoreExceptions()
                .until(() -> pool.preparedQuery("""
                        select count(*) from outbox o join build b on b.id::text = o.message_key
                        join image_spec s on s.id = b.spec_id
                        where s.name like $1 and o.published_at is null and o.set_aside_at is null""")
                        .execute(Tuple.of(prefix + "%")).await().atMost(Duration.ofSeconds(5)).iterator().next()
                        .getLong(0), count -> count == 0);
        // Every connection is the pool's again: all of them can be held at once (the service's own
        // relay and consumers take one now and then, so a try that times out is tried again).
        await("every pool connection held at once").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(this::allConnectionsTakenAtOnce);
    }

    private boolean allConnectionsTakenAtOnce() {
        List<SqlConnection> held = new ArrayList<>();
        try {
            for (int i = 0; i < POOL_SIZE; i++) {
                // Retries end before the await does: an attempt cut off by the await could get a connection nobody closes.
                held.add(pool.getConnection().onFailure().retry().withBackOff(Duration.ofMillis(50), Duration.ofMillis(200))
                        .expireIn(5_000).await().atMost(Duration.ofSeconds(10)));
            }
            return true;
        } catch (RuntimeException e) {
            return false;
        } finally {
            held.forEach(SqlConnection::closeAndAwait);
        }
    }
}
