package dev.byoos.spec.validation;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import dev.byoos.contract.AptSources;

/**
 * Which hosts a spec may make a build worker contact (base mirrors, tarball downloads, base image
 * registries). Deny by default: a user's spec must never point a worker at an internal address,
 * so only hosts an operator listed ({@code byoos.spec.allowed-hosts}) are accepted. An entry is
 * a host name ({@code mirror.example.com}), a suffix ({@code .example.com} matches its subdomains),
 * an IP literal the operator chose to allow, or {@value AptSources#TOKEN}: the hosts this
 * machine's apt sources name (the default, so no public mirror or registry is written into the
 * factory).
 */
public final class HostPolicy {

    private final List<String> allowed;
    private final boolean checked;

    /** The configured list with {@value AptSources#TOKEN} replaced by this machine's apt source hosts. */
    public static HostPolicy configured(List<String> entries) {
        return new HostPolicy(AptSources.expand(entries));
    }

    static HostPolicy configured(List<String> entries, Path aptDirectory) {
        return new HostPolicy(AptSources.expand(entries, aptDirectory));
    }

    /**
     * Every host: only for validating a spec offline, where the installation's list is unknown and
     * nothing is contacted. A server never uses it.
     */
    public static HostPolicy unchecked() {
        return new HostPolicy(List.of(), false);
    }

    public HostPolicy(List<String> allowed) {
        this(allowed, true);
    }

    private HostPolicy(List<String> allowed, boolean checked) {
        this.allowed = allowed.stream().map(host -> host.trim().toLowerCase(Locale.ROOT)).filter(h -> !h.isEmpty())
                .toList();
        this.checked = checked;
    }

    public boolean allows(String host) {
        if (!checked) {
            return true;
        }
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
