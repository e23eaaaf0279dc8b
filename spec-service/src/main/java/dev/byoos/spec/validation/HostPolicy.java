package dev.byoos.spec.validation;

import java.util.List;
import java.util.Locale;

/**
 * Which hosts a spec may make a build worker contact (base mirrors, tarball downloads, base image
 * registries). Deny by default: a user's spec must never point a worker at an internal address,
 * so only hosts an operator listed ({@code byoos.spec.allowed-hosts}) are accepted. An entry is
 * a host name ({@code deb.debian.org}), a suffix ({@code .example.com} matches its subdomains) or
 * an IP literal the operator chose to allow.
 */
public final class HostPolicy {

    /** Public distribution mirrors and registries; sites that mirror internally replace this list. */
    public static final List<String> DEFAULT_ALLOWED = List.of(
            "deb.debian.org", "security.debian.org", "archive.ubuntu.com", "security.ubuntu.com",
            "cloud-images.ubuntu.com", "cloud.debian.org", "dl.rockylinux.org", "download.rockylinux.org",
            "docker.io", "registry-1.docker.io", "ghcr.io", "quay.io", "public.ecr.aws");

    private final List<String> allowed;

    public HostPolicy(List<String> allowed) {
        this.allowed = allowed.stream().map(host -> host.trim().toLowerCase(Locale.ROOT)).filter(h -> !h.isEmpty())
                .toList();
    }

    public boolean allows(String host) {
        String candidate = host.toLowerCase(Locale.ROOT);
        for (String entry : allowed) {
            if (entry.startsWith(".") ? candidate.endsWith(entry) && candidate.length() > entry.length()
                    : candidate.equals(entry)) {
                return true;
            }
        }
        return false;
    }

    public List<String> allowed() {
        return allowed;
    }
}
