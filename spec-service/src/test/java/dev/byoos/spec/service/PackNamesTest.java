package dev.byoos.spec.service;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;

import dev.byoos.testsupport.DevStackResource;

/** Pack name claims on the real database. */
@QuarkusTest
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "spec_service"))
class PackNamesTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Inject
    Pool pool;

    @Test
    void theFirstTeamToUseANameOwnsItAndAnotherTeamIsRefused() {
        String name = "claim-" + UUID.randomUUID().toString().substring(0, 8);
        assertEquals("platform", claim("platform", name));
        assertEquals("platform", claim("platform", name), "the owner claims its name again");

        String owner = claim("other-team", name);
        assertEquals("platform", owner, "a later claim leaves the owner as it is");
        assertThrows(PackNameTakenException.class, () -> PackNames.requireOwner("other-team", name, owner));
        assertDoesNotThrow(() -> PackNames.requireOwner("platform", name, owner));
    }

    @Test
    void ofTwoTeamsClaimingANameAtOnceTheOneThatCommitsFirstOwnsIt() throws Exception {
        String name = "race-" + UUID.randomUUID().toString().substring(0, 8);
        SqlConnection first = pool.getConnection().await().atMost(TIMEOUT);
        try {
            first.query("begin").execute().await().atMost(TIMEOUT);
            assertEquals("team-a", claimOn(first, "team-a", name).await().atMost(TIMEOUT));
            // The second claim waits on the first's uncommitted row, then reads the name's owner.
            var second = pool.withTransaction(connection -> claimOn(connection, "team-b", name))
                    .subscribeAsCompletionStage();
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (waitingOnLocks() == 0) {
                assertTrue(System.nanoTime() < deadline, "the second claim waits for the first");
                Thread.sleep(20);
            }
            first.query("commit").execute().await().atMost(TIMEOUT);
            assertEquals("team-a", second.get(), "the second claim sees the committed owner");
        } finally {
            first.close().await().atMost(TIMEOUT);
        }
    }

    private String claim(String team, String name) {
        return pool.withTransaction(connection -> claimOn(connection, team, name)).await().atMost(TIMEOUT);
    }

    private static Uni<String> claimOn(SqlConnection connection, String team, String name) {
        return IntakeRows.claimAndReadHistory(connection, team, "spec-" + name, name, "0".repeat(64), "1.0.0")
                .map(IntakeRows.History::packNameOwner);
    }

    private long waitingOnLocks() {
        return pool.query("select count(*) from pg_stat_activity where datname = current_database()"
                + " and wait_event_type = 'Lock'").execute().await().atMost(TIMEOUT).iterator().next().getLong(0);
    }
}
