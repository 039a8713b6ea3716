package privacycatalog

import (
	"fmt"
	"strings"

	"github.com/tongxue/tongxue/internal/domain/retention"
	"github.com/tongxue/tongxue/internal/infra/pii"
)

// records renders the tables kept as records, logs or credentials about
// people (pii.Records): what a row is, how long it is kept, what deletes it.
func records(b *strings.Builder) error {
	rs, err := retention.Records()
	if err != nil {
		return err
	}
	b.WriteString("\n## Records, logs and credentials\n\n" +
		"Tables whose rows record what people did or were told rather than hold personal fields.\n\n" +
		"| table | kind | a row is | retention | deletion path |\n|---|---|---|---|---|\n")
	for _, r := range rs {
		fmt.Fprintf(b, "| `%s` | %s | %s | %s | %s |\n", r.Table, r.Kind, r.What, retentionText(r.Rule), deletionPaths(r.Rule))
	}
	return nil
}

func retentionText(r pii.Rule) string {
	if r == nil {
		return "**not declared**"
	}
	return r.Text()
}

func deletionPaths(r pii.Rule) string {
	if r == nil {
		return "**none**"
	}
	return strings.Join(r.Paths(), "; ")
}
