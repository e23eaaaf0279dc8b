package dev.byoos.pack.messaging;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import dev.byoos.testsupport.RegistryProcess;
import dev.byoos.testsupport.TestDirectories;

/**
 * Points the publisher at a registry of the test's own that serves https with a certificate from a
 * private CA (a self-signed one, made with openssl) and wants Basic credentials.
 */
public class AuthenticatedRegistryResource implements QuarkusTestResourceLifecycleManager {

    static final String USERNAME = "byoos-publisher";
    static final String PASSWORD = "s3cret-for-tests";

    /** The running registry, for the test to stop and start. */
    static RegistryProcess registry;
    /** The registry's certificate and private key, removed with the registry. */
    private Path tlsDir;

    @Override
    public Map<String, String> start() {
        // The registry's certificate, which the publisher is configured to trust.
        Path certificate;
        try {
            tlsDir = Files.createTempDirectory("byoos-test-registry-tls-");
            certificate = tlsDir.resolve("registry.pem");
            Path key = tlsDir.resolve("registry-key.pem");
            Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", key.toString(), "-out", certificate.toString(), "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1").redirectErrorStream(true).start();
            String output = new String(openssl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (openssl.waitFor() != 0) {
                throw new IllegalStateException("openssl failed: " + output);
            }
            registry = RegistryProcess.startWithBasicAuthOverTls(USERNAME, PASSWORD, certificate, key);
        } catch (Exception e) {
            throw new IllegalStateException("could not start the authenticated registry", e);
        }
        return Map.of("byoos.publisher.registry.url", registry.url(),
                "quarkus.tls.registry.trust-store.pem.certs", certificate.toString(),
                "byoos.publisher.registry.username", USERNAME,
                "byoos.publisher.registry.password", PASSWORD);
    }

    @Override
    public void stop() {
        try {
            try {
                registry.close();
            } finally {
                TestDirectories.deleteRecursively(tlsDir);
            }
        } catch (Exception e) {
            throw new IllegalStateException("could not stop the authenticated registry", e);
        }
    }
}
