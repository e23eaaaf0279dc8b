package dev.byoos.spec.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.UUID;

import jakarta.inject.Inject;

import org.hibernate.metamodel.MappingMetamodel;
import org.hibernate.reactive.mutiny.Mutiny;
import org.junit.jupiter.api.Test;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.VertxContextSupport;

import dev.byoos.testsupport.DevStackResource;

/** Pack name claims on the real database. */
@QuarkusTest
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "spec_service"))
class PackNamesTest {

    @Inject
    Mutiny.SessionFactory sessions;

    @Test
    void theOwnerClaimsItsNameAgainWithTheCachedQueryPlansAndAnotherTeamIsRefused() throws Throwable {
        String name = "claim-" + UUID.randomUUID().toString().substring(0, 8);
        claim("platform", name);
        int plans = cachedQueryPlans();

        // Every intake of a spec claims its pack name: a claim must not add a query plan each time.
        for (int i = 0; i < 3; i++) {
            claim("platform", name);
        }
        assertEquals(plans, cachedQueryPlans(), "claims reuse the cached query plans");
        assertThrows(PackNameTakenException.class, () -> claim("other-team", name));
    }

    private static void claim(String team, String name) throws Throwable {
        VertxContextSupport.subscribeAndAwait(() -> Panache.withTransaction(() -> PackNames.claim(team, name)));
    }

    private int cachedQueryPlans() {
        return ((MappingMetamodel) sessions.getMetamodel()).getTypeConfiguration().getSessionFactory().getQueryEngine()
                .getInterpretationCache().getNumberOfCachedQueryPlans();
    }
}
