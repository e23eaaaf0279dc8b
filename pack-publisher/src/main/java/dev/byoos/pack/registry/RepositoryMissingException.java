package dev.byoos.pack.registry;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The registry answered a write with 404 {@code NAME_UNKNOWN}: the repository does not exist and
 * the registry does not create repositories on push. ECR behaves so by design (every repository is
 * created beforehand with {@code aws ecr create-repository}). Waiting does not help; an operator creating the repository does, so the message names it and,
 * on ECR, the command that creates it.
 */
public final class RepositoryMissingException extends RegistryException {

    /**
     * ECR's private registry hosts, {@code <account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]};
     * group 1 is the region. The host alone identifies ECR: no setting has to agree with it.
     */
    private static final Pattern ECR_HOST = Pattern.compile(
            "\\d{12}\\.dkr\\.ecr(?:-fips)?\\.([a-z0-9-]+)\\.amazonaws\\.com(?:\\.cn)?(?::443)?");

    /**
     * The distribution spec's repository name grammar. The command is built only for such a name:
     * a pack name comes from an event, and an operator may paste the command into a shell.
     */
    private static final Pattern REPOSITORY_NAME = Pattern.compile(
            "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*");

    private final String repository;

    /** @param refusal what the registry refused, with its status and error (as other refusals say it) */
    RepositoryMissingException(String host, String repository, String refusal, int status) {
        super(refusal + "; the repository does not exist and the registry does not create it on push: "
                + howToCreate(host, repository), status, "NAME_UNKNOWN");
        this.repository = repository;
    }

    public String repository() {
        return repository;
    }

    /** What the operator does: ECR's command for ECR hosts, otherwise the registry's own way. */
    static String howToCreate(String host, String repository) {
        if (!REPOSITORY_NAME.matcher(repository).matches()) {
            return "it is no valid repository name, so no registry has it: publish under a valid pack name";
        }
        Matcher ecr = ECR_HOST.matcher(host);
        if (ecr.matches()) {
            return "create it first: aws ecr create-repository --repository-name " + repository + " --region "
                    + ecr.group(1);
        }
        return "create it first (or the project or namespace it belongs to, e.g. Harbor's project "
                + repository.split("/", 2)[0] + "), then submit the build again";
    }
}
