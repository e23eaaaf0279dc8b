package dev.byoos.artifact.signing;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.byoos.artifact.config.SigningConfig;
import dev.byoos.contract.ArtifactStored;
import dev.byoos.localauth.LocalSigningKeys;

/** A rotated signing key: artifacts signed before the rotation still verify, with the previous public key alone. */
class ArtifactSignerTest {

    private static final String SHA256 = "ab".repeat(32);

    @TempDir
    Path before;
    @TempDir
    Path after;

    record Config(Path privateKeyFile, Path publicKeyFile, Optional<List<Path>> previousPublicKeyFiles)
            implements SigningConfig {
    }

    @Test
    void signaturesOfThePreviousKeyStillVerifyAfterARotationAndAnUnknownKeyVerifiesNothing() throws IOException {
        LocalSigningKeys old = LocalSigningKeys.in(before);
        LocalSigningKeys current = LocalSigningKeys.in(after);
        ArtifactStored.Signature signedBefore = new ArtifactSigner(
                new Config(old.privateKeyFile(), old.publicKeyFile(), Optional.empty())).sign(SHA256);

        ArtifactSigner rotated = new ArtifactSigner(new Config(current.privateKeyFile(), current.publicKeyFile(),
                Optional.of(List.of(old.publicKeyFile()))));
        ArtifactSigner forgetful = new ArtifactSigner(
                new Config(current.privateKeyFile(), current.publicKeyFile(), Optional.empty()));

        assertNotEquals(signedBefore.keyId(), rotated.keyId(), "new signatures use the new key");
        assertTrue(rotated.knows(signedBefore.keyId()));
        assertTrue(rotated.verifies(signedBefore.keyId(), SHA256, signedBefore.value()));
        assertFalse(rotated.verifies(signedBefore.keyId(), "cd".repeat(32), signedBefore.value()), "other bytes");
        assertFalse(rotated.verifies(rotated.keyId(), SHA256, signedBefore.value()), "not the new key's signature");
        assertFalse(forgetful.knows(signedBefore.keyId()));
        assertFalse(forgetful.verifies(signedBefore.keyId(), SHA256, signedBefore.value()));
    }
}
