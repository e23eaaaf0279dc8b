package dev.byoos.pack.registry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import dev.byoos.testsupport.RegistryProcess;
import dev.byoos.testsupport.TestDirectories;

/** Points the publisher at a registry of the test's own that takes only bearer tokens from {@link RegistryTokenService}. */
public class TokenAuthRegistryResource implements QuarkusTestResourceLifecycleManager {

    static final String USERNAME = "byoos-publisher";
    static final String PASSWORD = "token-realm-secret";

    static RegistryTokenService tokens;
    static RegistryProcess registry;
    /** The token service's signing key and certificate, removed with the registry. */
    private Path keyDir;

    @Override
    public Map<String, String> start() {
        try {
            keyDir = Files.createTempDirectory("byoos-test-token-service-");
            tokens = new RegistryTokenService(keyDir, USERNAME, PASSWORD);
            registry = RegistryProcess.startWithTokenAuth(tokens.realm(), RegistryTokenService.SERVICE,
                    RegistryTokenService.ISSUER, tokens.certificateFile());
        } catch (Exception e) {
            throw new IllegalStateException("could not start the token-authenticated registry", e);
        }
        return Map.of("byoos.publisher.registry.url", registry.url(),
                "byoos.publisher.registry.username", USERNAME,
                "byoos.publisher.registry.password", PASSWORD);
    }

    @Override
    public void stop() {
        try {
            registry.close();
        } catch (Exception e) {
            throw new IllegalStateException("could not stop the token-authenticated registry", e);
        } finally {
            try {
                tokens.close();
            } finally {
                try {
                    TestDirectories.deleteRecursively(keyDir);
                } catch (IOException e) {
                    throw new UncheckedIOException("could not remove " + keyDir, e);
                }
            }
        }
    }
}
