package dev.byoos.worker.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.byoos.contract.Topics;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.Endpoints;
import dev.byoos.testsupport.TestStack;
import dev.byoos.worker.builder.TestBases;

/**
 * A submitter's script on a worker wired to the real servers: it tries the worker's own object
 * storage, Kafka, PostgreSQL and registry, and a public address. None answers it (the sandbox has
 * no network), so the build completes; had one answered, the script would fail the build and say
 * which.
 */
@QuarkusTest
@QuarkusTestResource(DevStackResource.class)
@QuarkusTestResource(TestBasesResource.class)
class HostileScriptOnTheStackTest extends WorkerKafkaTest {

    @Test
    void aScriptReachesNoneOfTheWorkersServersNorTheInternet() {
        Endpoints stack = TestStack.endpoints();
        URI s3 = URI.create(stack.s3Endpoint());
        URI registry = URI.create(stack.registryUrl());
        String broker = stack.kafkaBootstrapServers().split(",")[0];
        String script = "reach() { nc -w 2 \"$1\" \"$2\" </dev/null && { echo \"REACHED $3 at $1:$2\"; exit 7; }; }\n"
                + "reach " + broker.substring(0, broker.lastIndexOf(':')) + " " + broker.substring(broker.lastIndexOf(':') + 1)
                + " kafka\n"
                + "reach " + s3.getHost() + " " + s3.getPort() + " object-storage\n"
                + "reach " + stack.postgresHost() + " " + stack.postgresPort() + " postgresql\n"
                + "reach " + registry.getHost() + " " + registry.getPort() + " registry\n"
                + "reach 1.1.1.1 443 a-public-host\n"
                + "echo reached-nothing\n";
        String buildId = UUID.randomUUID().toString();

        send(requestWithPostScript(buildId, TestBases.BUSYBOX, script), UUID.randomUUID().toString());

        kafka.awaitRecords(Topics.BUILDS_COMPLETED, buildId, 1, TIMEOUT);
        assertEquals(List.of(), kafka.recordsWithin(Topics.BUILDS_FAILED, buildId, Duration.ofSeconds(2)),
                "a failure here names what the script reached");
    }
}
