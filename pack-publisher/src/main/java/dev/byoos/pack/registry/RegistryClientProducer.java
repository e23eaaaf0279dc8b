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
        PublisherConfig.Registry registry = config.registry();
        if (registry.username().isPresent() != registry.password().isPresent()) {
            throw new IllegalStateException("publisher.registry.username and publisher.registry.password "
                    + "must be configured together");
        }
        return new OciRegistryClient(URI.create(registry.url()), registry.username()
                .map(username -> new OciRegistryClient.Credentials(username, registry.password().orElseThrow())));
    }
}
