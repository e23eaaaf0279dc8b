package dev.byoos.pack.registry;

import java.net.URI;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import dev.byoos.pack.config.PublisherConfig;

/** One registry client per process, shared by the publisher and its health check. */
public class RegistryClientProducer {

    @Produces
    @Singleton
    OciRegistryClient registryClient(PublisherConfig config) {
        return new OciRegistryClient(URI.create(config.registry().url()));
    }
}
