package dev.byoos.spec.service;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;

import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.TestTokens;

/** Retention on the real database: old rows whose work is done go, everything else stays. */
@QuarkusTest
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "spec_service"))
class RowRetentionTest {

    static final Duration TIMEOUT = Duration.ofSeconds(30);
    static final String ADMIN = TestTokens.bearer("retention-test", "admin");

    @Inject
    RowRetention retention;

    @Inject
    DataSource database;

    @Test
    void publishedOutboxRecordsAndIdempotencyKeysPastTheirRetentionGoAndTheRestStays() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String specId = submittedSpecId("retention-" + run);
        // Retention is 7 days (the default) for both.
        outbox(run + "-old-published", "now() - interval '8 days'", "now() - interval '8 days'", null);
        outbox(run + "-recent-published", "now() - interval '8 days'", "now() - interval '1 day'", null);
        outbox(run + "-old-unsent", "now() - interval '8 days'", "null", null);
        outbox(run + "-old-set-aside", "now() - interval '8 days'", "null", "now() - interval '8 days'");
        idempotencyKey(run + "-old", specId, "now() - interval '8 days'");
        idempotencyKey(run + "-recent", specId, "now() - interval '1 day'");
        // Deliveries: 30 days (the default); a pending one stays however old.
        String subscription = subscription(run);
        delivery(subscription, run + "-old-delivered", "DELIVERED", "now() - interval '31 days'");
        delivery(subscription, run + "-old-failed", "FAILED", "now() - interval '31 days'");
        delivery(subscription, run + "-old-pending", "PENDING", "now() - interval '31 days'");
        delivery(subscription, run + "-recent-delivered", "DELIVERED", "now() - interval '29 days'");

        // While another replica holds the purge lock, this one deletes nothing.
        try (Connection other = database.getConnection(); Statement lock = other.createStatement()) {
            lock.execute("select pg_advisory_lock(" + RowRetention.PURGE_LOCK + ")");
            assertEquals(new RowRetention.Purged(0, 0, 0), retention.purge().await().atMost(TIMEOUT));
            assertEquals(List.of(run + "-old-published", run + "-old-set-aside", run + "-old-unsent",
                    run + "-recent-published"), outboxEvents(run));
            lock.execute("select pg_advisory_unlock(" + RowRetention.PURGE_LOCK + ")");
        }

        retention.purge().await().atMost(TIMEOUT);
        assertEquals(List.of(run + "-old-set-aside", run + "-old-unsent", run + "-recent-published"), outboxEvents(run));
        assertEquals(List.of(run + "-recent"), keys(run));
        assertEquals(List.of(run + "-old-pending", run + "-recent-delivered"),
                strings("select event_id from notification_delivery where event_id like '" + run + "-%' order by event_id"));
        assertEquals(List.of("1", "1"), strings("select count(*)::text from notification_attempt a join notification_delivery d"
                + " on d.id = a.delivery_id where d.event_id like '" + run + "-%' group by d.id"),
                "the purged deliveries' attempts went with them");
    }

    private String subscription(String run) throws Exception {
        String id = UUID.randomUUID().toString();
        update("insert into notification_subscription (id, team, url, event_types, secret, created_by) values ('" + id
                + "', 'platform', 'https://hooks.example.com/" + run + "', '{dev.byoos.build.failed.v1}', 's', 'test')");
        return id;
    }

    private void delivery(String subscription, String eventId, String state, String createdAt) throws Exception {
        String id = UUID.randomUUID().toString();
        // Not due for a day: the dispatcher leaves the pending one alone while the test looks.
        update("insert into notification_delivery (id, subscription_id, event_id, event_type, payload, state, created_at,"
                + " next_attempt_at) values ('" + id + "', '" + subscription + "', '" + eventId
                + "', 'dev.byoos.build.failed.v1', '{}', '" + state + "', " + createdAt + ", now() + interval '1 day')");
        update("insert into notification_attempt (delivery_id, number, status) values ('" + id + "', 1, 500)");
    }

    private String submittedSpecId(String name) throws Exception {
        String yaml = Files.readString(Path.of("..", "examples", "debian-12-qemu.yaml"))
                .replace("name: debian-12-node", "name: " + name);
        given().header("Authorization", ADMIN).contentType("application/yaml")
                .body(yaml.getBytes(StandardCharsets.UTF_8)).post("/api/v1/specs").then().statusCode(201);
        return strings("select id::text from image_spec where name = '" + name + "'").get(0);
    }

    private void outbox(String eventId, String createdAt, String publishedAt, String setAsideAt) throws Exception {
        update("insert into outbox (event_id, topic, event_type, message_key, payload, created_at, published_at,"
                + " set_aside_at) values ('" + eventId + "', 'byoos.builds.requested', 'test', 'key', '{}', "
                + createdAt + ", " + publishedAt + ", " + setAsideAt + ")");
    }

    private void idempotencyKey(String key, String specId, String createdAt) throws Exception {
        update("insert into idempotency_key (team, key, spec_id, spec_digest, new_version, created_at) values"
                + " ('platform', '" + key + "', '" + specId + "', '" + "ab".repeat(32) + "', true, " + createdAt + ")");
    }

    private List<String> outboxEvents(String run) throws Exception {
        return strings("select event_id from outbox where event_id like '" + run + "-%' order by event_id");
    }

    private List<String> keys(String run) throws Exception {
        return strings("select key from idempotency_key where key like '" + run + "-%' order by key");
    }

    private void update(String sql) throws Exception {
        try (Connection connection = database.getConnection(); PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.executeUpdate();
        }
    }

    private List<String> strings(String sql) throws Exception {
        try (Connection connection = database.getConnection(); ResultSet rows = connection.createStatement().executeQuery(sql)) {
            List<String> values = new java.util.ArrayList<>();
            while (rows.next()) {
                values.add(rows.getString(1));
            }
            return values;
        }
    }
}
