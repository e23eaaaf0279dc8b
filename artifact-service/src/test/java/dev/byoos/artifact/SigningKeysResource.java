package dev.byoos.artifact;

import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import dev.byoos.localauth.LocalSigningKeys;
import dev.byoos.testsupport.TestTokens;

/** Hands the service the test key pair it signs artifact digests with ({@code byoos.artifact.signing.*}). */
public class SigningKeysResource implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        LocalSigningKeys signing = TestTokens.signingKeys();
        return Map.of("byoos.artifact.signing.private-key-file", signing.privateKeyFile().toAbsolutePath().toString(),
                "byoos.artifact.signing.public-key-file", signing.publicKeyFile().toAbsolutePath().toString());
    }

    @Override
    public void stop() {
        // Nothing: the key pair is the test stack's, kept for the whole JVM.
    }
}
