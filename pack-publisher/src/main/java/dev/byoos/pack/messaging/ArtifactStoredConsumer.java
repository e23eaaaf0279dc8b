package dev.byoos.pack.messaging;

import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.annotations.Blocking;

import dev.byoos.contract.ArtifactStored;
import dev.byoos.contract.BuildFailed;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.PackPublished;
import dev.byoos.contract.Topics;
import dev.byoos.messaging.CloudEventMessages;
import dev.byoos.pack.config.PublisherConfig;
import dev.byoos.pack.observability.PackMetrics;
import dev.byoos.pack.registry.OciRegistryClient;
import dev.byoos.pack.render.PackRenderer;

/**
 * Renders and publishes the BYOOS pack of a stored artifact. Idempotent through the registry
 * itself: the rendered pack is reproducible, so a redelivered event finds the identical manifest
 * already tagged and only re-announces it. A different pack under the same name:version is a
 * conflict: versions are immutable, nothing is overwritten, and the build is failed with a reason.
 */
@ApplicationScoped
public class ArtifactStoredConsumer {

    public static final String PACK_REPOSITORY_SEGMENT = "spectro-packs/archive";
    private static final Logger LOG = Logger.getLogger(ArtifactStoredConsumer.class);
    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(60);

    @Inject
    PublisherConfig config;

    @Inject
    @Channel(Topics.PACKS_PUBLISHED)
    MutinyEmitter<String> published;

    @Inject
    @Channel(Topics.BUILDS_FAILED)
    MutinyEmitter<String> failures;

    @Inject
    OciRegistryClient registry;

    @Inject
    PackMetrics metrics;

    private final PackRenderer renderer = new PackRenderer();

    @Incoming(Topics.ARTIFACTS_STORED)
    @Blocking(value = "publishing", ordered = false)
    public CompletionStage<Void> onArtifactStored(Message<String> message) {
        try {
            publish(CloudEventMessages.read(message, EventTypes.ARTIFACT_STORED, ArtifactStored.class));
            return message.ack();
        } catch (RuntimeException e) {
            LOG.warnf("dead-lettering artifact.stored: %s", e.getMessage());
            return message.nack(e);
        }
    }

    private void publish(ArtifactStored artifact) {
        long started = System.nanoTime();
        String buildId = artifact.build().buildId();
        PackRenderer.RenderedPack pack = renderer.render(artifact);
        String repository = repositoryFor(pack.name());
        Map<String, String> annotations = new LinkedHashMap<>();
        annotations.put("byoos.dev/build-id", buildId);
        annotations.put("byoos.dev/spec-digest", artifact.build().specDigest());
        annotations.put("byoos.dev/image-sha256", artifact.sha256());
        OciRegistryClient.Manifest manifest = OciRegistryClient.manifestFor(pack.fileName(), pack.archive(), annotations);
        String reference = registry.host() + "/" + repository + ":" + pack.version();

        Optional<OciRegistryClient.Manifest> existing = registry.manifest(repository, pack.version());
        if (existing.isPresent() && !Arrays.equals(existing.get().bytes(), manifest.bytes())) {
            String reason = "pack " + reference + " already exists with different content (manifest "
                    + existing.get().digest() + "); pack versions are immutable: bump spec.pack.version";
            LOG.warnf("build %s: %s", buildId, reason);
            send(failures, CloudEventMessages.forBuild(buildId, EventTypes.BUILD_FAILED,
                    new BuildFailed(artifact.build(), "pack", "PACK_VERSION_CONFLICT", reason, false)));
            metrics.handled(artifact.build(), PackMetrics.CONFLICT, Duration.ofNanos(System.nanoTime() - started));
            return;
        }
        if (existing.isEmpty()) {
            registry.push(repository, pack.version(), pack.fileName(), pack.archive(), manifest);
            LOG.infof("build %s: published %s (%s)", buildId, reference, manifest.digest());
        } else {
            LOG.infof("build %s: %s already published; announcing it again", buildId, reference);
        }
        send(published, CloudEventMessages.forBuild(buildId, EventTypes.PACK_PUBLISHED,
                new PackPublished(artifact.build(), reference, manifest.digest(), pack.osImageOverride())));
        metrics.handled(artifact.build(), existing.isEmpty() ? PackMetrics.PUBLISHED : PackMetrics.ALREADY_PUBLISHED,
                Duration.ofNanos(System.nanoTime() - started));
    }

    String repositoryFor(String packName) {
        String base = config.registry().basePath().replaceAll("^/+|/+$", "");
        return (base.isEmpty() ? "" : base + "/") + PACK_REPOSITORY_SEGMENT + "/" + packName;
    }

    private static void send(MutinyEmitter<String> emitter, Message<String> event) {
        emitter.sendMessage(event).await().atMost(SEND_TIMEOUT);
    }
}
