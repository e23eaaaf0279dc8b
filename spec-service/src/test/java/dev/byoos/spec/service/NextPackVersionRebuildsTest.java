package dev.byoos.spec.service;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.function.Supplier;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.VertxContextSupport;
import io.smallrye.mutiny.Uni;

import dev.byoos.spec.BuildTrigger;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.TestTokens;

/** The rebuild with the next pack version, on the real database. */
@QuarkusTest
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "spec_service"))
class NextPackVersionRebuildsTest {

    static final String SUBMITTER = TestTokens.bearer("rebuild-test", "submitter", "platform");

    @Inject
    NextPackVersionRebuilds rebuilds;

    /** The example spec under a new name, with {@code policy} as its pack.versionPolicy (none when null). */
    static String specWithPolicy(String name, String policy) throws Exception {
        String yaml = Files.readString(Path.of("..", "examples", "debian-12-qemu.yaml"))
                .replace("name: debian-12-node", "name: " + name);
        return policy == null ? yaml : yaml.replace("    version: 1.0.0\n", "    version: 1.0.0\n    versionPolicy: " + policy + "\n");
    }

    static void submit(String yaml) {
        given().header("Authorization", SUBMITTER).contentType("application/yaml")
                .body(yaml.getBytes(StandardCharsets.UTF_8)).post("/api/v1/specs").then().statusCode(201);
    }

    /** Runs a use case as the service does, on a Vert.x context (Hibernate Reactive needs one). */
    static <T> T onContext(Supplier<Uni<T>> useCase) throws Throwable {
        return VertxContextSupport.subscribeAndAwait(useCase);
    }

    @Test
    void theNextVersionBumpsThePackPerPolicyAndForcesEveryTargetWithTheGivenTrigger() throws Throwable {
        String name = "next-" + UUID.randomUUID().toString().substring(0, 8);
        submit(specWithPolicy(name, "patch"));

        SpecIntake.Accepted first = onContext(() -> rebuilds.rebuild("platform", name, BuildTrigger.SCHEDULE));
        assertEquals(2, first.spec().version);
        assertEquals("1.0.1", first.spec().packVersion);
        assertTrue(first.newVersion());
        assertEquals(1, first.created().size());
        assertEquals("schedule", first.created().get(0).trigger);

        SpecIntake.Accepted second = onContext(() -> rebuilds.rebuild("platform", name, BuildTrigger.BASE_UPDATED));
        assertEquals(3, second.spec().version);
        assertEquals("1.0.2", second.spec().packVersion);
        assertEquals("base-updated", second.created().get(0).trigger);
    }

    @Test
    void aSpecWithoutAPolicyIsRefusedAndNothingIsStored() throws Throwable {
        String name = "nopolicy-" + UUID.randomUUID().toString().substring(0, 8);
        submit(specWithPolicy(name, null));

        assertThrows(NoVersionPolicyException.class,
                () -> onContext(() -> rebuilds.rebuild("platform", name, BuildTrigger.SCHEDULE)));
        given().header("Authorization", SUBMITTER).get("/api/v1/specs/" + name + "/versions/2?team=platform").then()
                .statusCode(404);
    }
}
