package resolvers

import (
	"github.com/tongxue/tongxue/graph/model"
	"github.com/tongxue/tongxue/internal/domain/account"
)

// termsModel is what cancelling deletes and keeps, for the graph.
func termsModel(t account.Terms) *model.CancellationTerms {
	kept := make([]*model.KeptRecord, len(t.Kept))
	for i, k := range t.Kept {
		kept[i] = &model.KeptRecord{What: k.What, Why: k.Why, HowLong: k.HowLong}
	}
	return &model.CancellationTerms{Deleted: t.Deleted, Kept: kept, CoolingOffDays: t.CoolingOffDays}
}
