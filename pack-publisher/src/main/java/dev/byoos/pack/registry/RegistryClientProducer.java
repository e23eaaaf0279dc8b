package dev.byoos.pack.registry;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import java.util.Optional;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

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
                .map(username -> new OciRegistryClient.Credentials(username, registry.password().orElseThrow())),
                registry.caCertificate().map(RegistryClientProducer::trusting));
    }

    /** A TLS context that trusts exactly the certificates in the PEM file. */
    public static SSLContext trusting(Path pemFile) {
        try (InputStream in = Files.newInputStream(pemFile)) {
            Collection<? extends Certificate> certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (certificates.isEmpty()) {
                throw new IllegalStateException("publisher.registry.ca-certificate " + pemFile + " holds no certificate");
            }
            KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
            trusted.load(null, null);
            int index = 0;
            for (Certificate certificate : certificates) {
                trusted.setCertificateEntry("registry-ca-" + index++, certificate);
            }
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(trusted);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot read publisher.registry.ca-certificate " + pemFile + ": " + e, e);
        }
    }
}
