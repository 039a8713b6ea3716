// Package pictures releases stored pictures that nothing uses any more.
// Posts and errands share one content-addressed store (the same photo
// uploaded twice is stored once), so a picture is deleted only when no post
// and no errand refers to it.
package pictures

import (
	"context"
	"errors"
	"log/slog"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/errand"
	"github.com/tongxue/tongxue/ent/postimage"
	"github.com/tongxue/tongxue/internal/media"
	"github.com/tongxue/tongxue/internal/privacy"
)

// Release deletes the pictures under keys that are no longer referenced.
// Call it after the transaction that dropped the references commits. A
// failure is logged, not returned: the user's deletion has happened, and
// a picture left behind is found again by the next release of its key.
func Release(ctx context.Context, client *ent.Client, st media.Store, log *slog.Logger, keys ...string) {
	ctx = privacy.System(ctx) // references in posts the caller cannot see count too in posts the caller cannot see count too
	seen := map[string]bool{}
	for _, k := range keys {
		if seen[k] {
			continue
		}
		seen[k] = true
		used, err := inUse(ctx, client, k)
		if err == nil && !used {
			if err = st.Delete(ctx, k); errors.Is(err, media.ErrNotFound) {
				err = nil
			}
		}
		if err != nil {
			log.WarnContext(ctx, "release picture", "err", err)
		}
	}
}

func inUse(ctx context.Context, client *ent.Client, key string) (bool, error) {
	if ok, err := client.PostImage.Query().Where(postimage.MediaKey(key)).Exist(ctx); err != nil || ok {
		return ok, err
	}
	return client.Errand.Query().Where(errand.PhotoKey(key)).Exist(ctx)
}
