package dev.byoos.pack.messaging;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

import javax.net.ssl.SSLContext;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.tls.TlsConfigurationRegistry;
import io.restassured.RestAssured;

import dev.byoos.contract.ArtifactStored;
import dev.byoos.contract.BuildFailed;
import dev.byoos.contract.BuildProgress;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.PackPublished;
import dev.byoos.contract.Topics;
import dev.byoos.pack.config.PublisherConfig;
import dev.byoos.pack.health.PublishingWaitCheck;
import dev.byoos.pack.registry.OciRegistryClient;
import dev.byoos.pack.registry.RegistryException;
import dev.byoos.pack.service.PackPublisher;
import dev.byoos.pack.service.PackPublishing;
import dev.byoos.pack.service.Replicas;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.KafkaTestClient;
import dev.byoos.testsupport.TestStack;

/**
 * The publisher against a registry that serves https under a private CA, wants Basic credentials
 * (htpasswd), and that the test stops and starts: a build waits for the registry, says so, and
 * completes once it is back; and one whose outcome Kafka does not take waits for Kafka.
 */
@QuarkusTest
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "pack_publisher"))
@QuarkusTestResource(value = AuthenticatedRegistryResource.class, restrictToAnnotatedClass = true)
class RegistryOutageTest {

    static final Duration TIMEOUT = Duration.ofSeconds(60);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @Inject
    TlsConfigurationRegistry tls;

    KafkaTestClient kafka;
    /** Trusts the registry's private CA, as the publisher is configured to. */
    HttpClient http;

    @BeforeEach
    void connect() throws Exception {
        kafka = new KafkaTestClient(bootstrapServers);
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(registryTrust()).build();
    }

    /** The publisher's TLS configuration for the registry: trusts the private CA's certificate. */
    private SSLContext registryTrust() throws Exception {
        return tls.get(PublisherConfig.REGISTRY_TLS).orElseThrow().createSSLContext();
    }

    @AfterEach
    void disconnect() throws Exception {
        kafka.close();
        // A test that stopped the registry and failed before starting it again leaves it to the next.
        if (!AuthenticatedRegistryResource.registry.running()) {
            AuthenticatedRegistryResource.registry.start();
        }
    }

    private String send(String packName) {
        String buildId = UUID.randomUUID().toString();
        ArtifactStored event = ArtifactStoredConsumerTest.artifact(buildId, packName, "ab".repeat(32));
        kafka.sendCloudEvent(Topics.ARTIFACTS_STORED, buildId, EventTypes.ARTIFACT_STORED,
                UUID.randomUUID().toString(), EventJson.write(event));
        return buildId;
    }

    private HttpResponse<String> manifest(String packName, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(AuthenticatedRegistryResource.registry.url()
                + "/v2/byoos/spectro-packs/archive/" + packName + "/manifests/1.0.0"))
                .header("Accept", "application/vnd.oci.image.manifest.v1+json");
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void publishesWithBasicCredentialsToARegistryThatRefusesAnonymousRequests() throws Exception {
        String packName = "basic-" + UUID.randomUUID().toString().substring(0, 8);
        String buildId = send(packName);
        PackPublished published = EventJson.read(kafka.awaitRecords(Topics.PACKS_PUBLISHED, buildId, 1, TIMEOUT)
                .get(0).value(), PackPublished.class);

        assertEquals(401, manifest(packName, null).statusCode(), "anonymous pulls are refused");
        HttpResponse<String> manifest = manifest(packName, AuthenticatedRegistryResource.registry.basicAuthorization());
        assertEquals(200, manifest.statusCode());
        assertEquals(published.manifestDigest(), manifest.headers().firstValue("Docker-Content-Digest").orElseThrow());
    }

    @Test
    void talksTlsOnlyToARegistryWhoseCertificateAuthorityItTrusts() throws Exception {
        URI url = URI.create(AuthenticatedRegistryResource.registry.url());
        assertTrue(url.getScheme().equals("https"));
        assertTrue(new OciRegistryClient(url, Optional.empty(),
                Optional.of(registryTrust())).reachable());
        assertFalse(new OciRegistryClient(url, Optional.empty(), Optional.empty()).reachable(),
                "the JVM's default trust store does not know the private CA");
    }

    @Test
    void waitsForTheRegistryAndPublishesWhenItReturns() throws Exception {
        AuthenticatedRegistryResource.registry.stop();
        RestAssured.given().get("/q/health/ready").then().statusCode(503);

        String packName = "outage-" + UUID.randomUUID().toString().substring(0, 8);
        String buildId = send(packName);
        BuildProgress waiting = EventJson.read(kafka.awaitRecords(Topics.BUILDS_PROGRESS, buildId, 1, TIMEOUT).get(0)
                .value(), BuildProgress.class);
        assertEquals("pack", waiting.stage());
        assertEquals("registry", waiting.waitingFor());
        AuthenticatedRegistryResource.registry.start();
        PackPublished published = EventJson.read(kafka.awaitRecords(Topics.PACKS_PUBLISHED, buildId, 1, TIMEOUT)
                .get(0).value(), PackPublished.class);
        HttpResponse<String> manifest = manifest(packName, AuthenticatedRegistryResource.registry.basicAuthorization());
        assertEquals(published.manifestDigest(), manifest.headers().firstValue("Docker-Content-Digest").orElseThrow());
        RestAssured.given().get("/q/health/ready").then().statusCode(200);
    }

    /**
     * Kafka away when the outcome is to be announced, for longer than the announcement's timeout
     * (%test: 10 s): the consumer waits it out, not ready and saying so, announces the pack once
     * Kafka is back, and goes on consuming. Failing the message instead would end the channel's
     * stream: nothing more would be published until a restart.
     */
    @Test
    void waitsOutAKafkaThatDoesNotTakeTheOutcomeAndGoesOnConsuming() throws Exception {
        AuthenticatedRegistryResource.registry.stop();
        String packName = "kafka-outage-" + UUID.randomUUID().toString().substring(0, 8);
        String buildId = send(packName);
        // The publication waits for the registry: the consumer has the event.
        kafka.awaitRecords(Topics.BUILDS_PROGRESS, buildId, 1, TIMEOUT);
        try (AutoCloseable kafkaOutage = TestStack.outage(TestStack.Server.KAFKA)) {
            AuthenticatedRegistryResource.registry.start();
            await("the pack pushed while Kafka is away").atMost(TIMEOUT).pollInterval(Duration.ofMillis(200))
                    .until(() -> manifest(packName, AuthenticatedRegistryResource.registry.basicAuthorization())
                            .statusCode() == 200);
            await("readiness naming the wait for Kafka").atMost(TIMEOUT).pollInterval(Duration.ofMillis(200))
                    .until(() -> RestAssured.given().get("/q/health/ready").then().extract().path(
                            "checks.find { it.name == '" + PublishingWaitCheck.NAME + "' }.data.waitingFor"),
                            waitingFor -> "kafka".equals(waitingFor));
        }
        PackPublished published = EventJson.read(kafka.awaitRecords(Topics.PACKS_PUBLISHED, buildId, 1, TIMEOUT)
                .get(0).value(), PackPublished.class);
        assertEquals(manifest(packName, AuthenticatedRegistryResource.registry.basicAuthorization()).headers()
                .firstValue("Docker-Content-Digest").orElseThrow(), published.manifestDigest());

        String nextPack = "after-kafka-" + UUID.randomUUID().toString().substring(0, 8);
        String next = send(nextPack);
        kafka.awaitRecords(Topics.PACKS_PUBLISHED, next, 1, TIMEOUT);
        await("ready again").atMost(TIMEOUT).pollInterval(Duration.ofMillis(200))
                .until(() -> RestAssured.given().get("/q/health/ready").statusCode() == 200);
    }

    @Test
    void refusedCredentialsFailTheBuildAtOnceNamingRegistryRepositoryStatusAndCode() throws Exception {
        String packName = "refused-" + UUID.randomUUID().toString().substring(0, 8);
        ArtifactStored artifact = ArtifactStoredConsumerTest.artifact(UUID.randomUUID().toString(), packName,
                "ab".repeat(32));
        URI url = URI.create(AuthenticatedRegistryResource.registry.url());
        PackPublisher publisher = Replicas.publisher(new OciRegistryClient(url, Optional.of(
                new OciRegistryClient.Credentials(AuthenticatedRegistryResource.USERNAME, "not-the-password")),
                Optional.of(registryTrust())));

        RegistryException refused = assertThrows(RegistryException.class, () -> publisher.publish(artifact),
                "refused credentials are no outage to wait out");
        assertEquals(401, refused.status());
        assertEquals(Optional.of("UNAUTHORIZED"), refused.errorCode());
        assertTrue(refused.getMessage().contains("registry " + url.getAuthority()), refused.getMessage());
        // The first request of a process is the look at the base repository, before the pack's.
        assertTrue(refused.getMessage().contains("in repository byoos/spectro-packs/archive: HTTP 401"),
                refused.getMessage());
        assertTrue(refused.getMessage().contains("HTTP 401 UNAUTHORIZED"), refused.getMessage());

        PackPublishing.Failed failed = assertInstanceOf(PackPublishing.Failed.class,
                Replicas.publishing(publisher).publish(artifact, waiting -> { }));
        assertEquals(PackPublishing.REGISTRY_ACCESS_DENIED, failed.code());
        assertEquals(BuildFailed.INFRASTRUCTURE, failed.category());
        assertEquals(1, failed.attempts());
        assertEquals(404, manifest(packName, AuthenticatedRegistryResource.registry.basicAuthorization()).statusCode());
    }
}
