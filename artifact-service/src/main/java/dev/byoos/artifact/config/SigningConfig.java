package dev.byoos.artifact.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;

/**
 * The ECDSA P-256 key pair every artifact digest is signed with, as PEM files: the private key in
 * PKCS#8 ({@code openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out signing.key}),
 * the public key as SubjectPublicKeyInfo ({@code openssl pkey -in signing.key -pubout -out signing.pub}).
 * The public key is what consumers verify with offline.
 */
@ConfigMapping(prefix = "byoos.artifact.signing")
public interface SigningConfig {

    Path privateKeyFile();

    Path publicKeyFile();

    /**
     * Public keys (PEM) of pairs this service signed with before a rotation: artifacts signed with
     * one of them still verify online. New signatures always use the current pair. See
     * docs/packs.md, "Rotating the signing key".
     */
    Optional<List<Path>> previousPublicKeyFiles();
}
