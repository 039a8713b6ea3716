// Pictures decide who may fetch a stored picture (Access) and
// releases stored pictures that nothing uses any more. Posts and errands
// share one store; each upload has a random key of its own, and a picture
// is deleted only when no post and no errand refers to its key.
package media

import (
	"context"
	"errors"
	"log/slog"
	"slices"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/errand"
	"github.com/tongxue/tongxue/ent/postimage"
	"github.com/tongxue/tongxue/internal/infra/system"
)

// Release deletes the pictures under keys that are no longer referenced.
// Call it after the transaction that dropped the references commits (or
// failed to add them). A failure is logged, not returned: the user's
// deletion has happened, and a picture left behind is found again by the
// next release of its key.
func Release(ctx context.Context, client *ent.Client, st Store, log *slog.Logger, keys ...string) {
	// It finishes even when the request that dropped the references has
	// gone; references in posts the caller cannot see count too.
	ctx = system.Context(context.WithoutCancel(ctx))
	keys = slices.DeleteFunc(slices.Compact(slices.Sorted(slices.Values(keys))), func(k string) bool { return k == "" })
	if len(keys) == 0 {
		return
	}
	used, err := inUse(ctx, client, keys)
	if err != nil {
		log.WarnContext(ctx, "release picture", "err", err)
		return
	}
	for _, k := range keys {
		if used[k] {
			continue
		}
		if err := st.Delete(ctx, k); err != nil && !errors.Is(err, ErrNotFound) {
			log.WarnContext(ctx, "release picture", "err", err)
		}
	}
}

// inUse reads which of keys a post or an errand still refers to: two
// statements, however many keys.
func inUse(ctx context.Context, client *ent.Client, keys []string) (map[string]bool, error) {
	inPosts, err := client.PostImage.Query().Where(postimage.MediaKeyIn(keys...)).
		Select(postimage.FieldMediaKey).Strings(ctx)
	if err != nil {
		return nil, err
	}
	inErrands, err := client.Errand.Query().Where(errand.PhotoKeyIn(keys...)).
		Select(errand.FieldPhotoKey).Strings(ctx)
	if err != nil {
		return nil, err
	}
	used := make(map[string]bool, len(inPosts)+len(inErrands))
	for _, k := range append(inPosts, inErrands...) {
		used[k] = true
	}
	return used, nil
}
