package dev.byoos.pack.service;

import io.quarkus.arc.Arc;

import dev.byoos.pack.config.PublisherConfig;
import dev.byoos.pack.observability.PackMetrics;
import dev.byoos.pack.registry.OciRegistryClient;
import dev.byoos.pack.render.PackRenderer;
import dev.byoos.pack.repository.PackCatalog;
import dev.byoos.pack.signing.PackSigner;

/**
 * Another pack-publisher process as far as one publication goes, inside a {@code @QuarkusTest}: the
 * application's catalog, renderer and signer, but a registry client and in-process tag locks of its
 * own.
 */
public final class Replicas {

    private Replicas() {
    }

    public static PackPublisher publisher(OciRegistryClient registry) {
        return new PackPublisher(bean(PublisherConfig.class), registry, bean(PackCatalog.class),
                bean(PackRenderer.class), bean(PackSigner.class));
    }

    public static PackPublishing publishing(PackPublisher publisher) {
        return new PackPublishing(publisher, bean(PackMetrics.class), bean(WaitingDependencies.class),
                bean(PublisherConfig.class));
    }

    private static <T> T bean(Class<T> type) {
        return Arc.container().instance(type).get();
    }
}
