package dev.byoos.pack.registry;

import java.net.URI;
import java.util.Optional;

import javax.net.ssl.SSLContext;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import io.quarkus.tls.TlsConfiguration;
import io.quarkus.tls.TlsConfigurationRegistry;

import dev.byoos.pack.config.PublisherConfig;

/** One registry client per process, shared by the publisher and its health check. */
public class RegistryClientProducer {

    @Produces
    @Singleton
    OciRegistryClient registryClient(PublisherConfig config, TlsConfigurationRegistry tls) {
        PublisherConfig.Registry registry = config.registry();
        if (registry.username().isPresent() != registry.password().isPresent()) {
            throw new IllegalStateException("byoos.publisher.registry.username and byoos.publisher.registry.password "
                    + "must be configured together");
        }
        return new OciRegistryClient(URI.create(registry.url()), registry.username()
                .map(username -> new OciRegistryClient.Credentials(username, registry.password().orElseThrow())),
                trustedAuthorities(tls));
    }

    /**
     * The TLS context for a registry behind a private CA: the named TLS configuration's trust store
     * (a PEM file of CA certificates). Without one the JVM's default trust store is used.
     */
    private static Optional<SSLContext> trustedAuthorities(TlsConfigurationRegistry tls) {
        return tls.get(PublisherConfig.REGISTRY_TLS)
                .filter(configuration -> configuration.getTrustStore() != null)
                .map(RegistryClientProducer::sslContext);
    }

    private static SSLContext sslContext(TlsConfiguration configuration) {
        try {
            return configuration.createSSLContext();
        } catch (Exception e) {
            throw new IllegalStateException("cannot build a TLS context from quarkus.tls." + PublisherConfig.REGISTRY_TLS
                    + ".trust-store: " + e, e);
        }
    }
}
