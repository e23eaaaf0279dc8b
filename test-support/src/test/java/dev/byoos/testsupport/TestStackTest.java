package dev.byoos.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.byoos.contract.Topics;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * On a machine without Docker (and without {@value TestStack#ENDPOINTS_ENV}) this starts the
 * devstack as a child JVM: the jar must have been packaged first.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TestStackTest {

    @Test
    void startsOneStackPerJvmWhoseKafkaHasThePipelineTopics() throws Exception {
        Endpoints endpoints = TestStack.endpoints();
        assertSame(endpoints, TestStack.endpoints(), "one stack per JVM");
        assertEquals(endpoints, Endpoints.load(Path.of(System.getProperty(TestStack.ENDPOINTS_PROPERTY))),
                "published for copies of TestStack in other class loaders");

        try (Admin admin = Admin.create(endpoints.kafkaClientConfig(Endpoints.KAFKA_ADMIN))) {
            Set<String> topics = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            assertTrue(topics.contains(Topics.BUILDS_REQUESTED), "topics: " + topics);
        }
    }

    @Test
    void resourceHandsTheStackToQuarkusAsConfig() {
        DevStackResource resource = new DevStackResource();
        resource.init(Map.of(DevStackResource.DATABASE_ARG, "spec_service"));
        Map<String, String> config = resource.start();

        Endpoints endpoints = TestStack.endpoints();
        assertEquals(endpoints.kafkaBootstrapServers(), config.get("kafka.bootstrap.servers"));
        // The service under test (this module's test application.properties names spec-service) gets its own password.
        assertEquals(endpoints.kafkaPassword("spec-service"), config.get("KAFKA_PASSWORD"));
        assertEquals("postgresql://" + endpoints.postgresHost() + ":" + endpoints.postgresPort() + "/spec_service",
                config.get("quarkus.datasource.reactive.url"));
        assertEquals("jdbc:postgresql://" + endpoints.postgresHost() + ":" + endpoints.postgresPort() + "/spec_service",
                config.get("quarkus.datasource.jdbc.url"));
        assertEquals("byoos-staging", config.get("byoos.s3.staging-bucket"));
        assertEquals("byoos-artifacts", config.get("byoos.s3.artifacts-bucket"));
        assertEquals("false", config.get("quarkus.devservices.enabled"));
    }

    @Test
    void resourceWithoutDatabaseLeavesTheDatasourceAlone() {
        DevStackResource resource = new DevStackResource();
        resource.init(Map.of());
        Map<String, String> config = resource.start();
        assertTrue(config.keySet().stream().noneMatch(key -> key.startsWith("quarkus.datasource")), config.toString());
        assertEquals(TestStack.endpoints().registryUrl(), config.get("byoos.registry.url"));
    }
}
