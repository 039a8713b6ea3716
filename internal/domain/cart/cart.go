// Package cart keeps users' carts and favourites (S2).
package cart

import (
	"context"
	"time"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/cartitem"
	"github.com/tongxue/tongxue/ent/favorite"
	"github.com/tongxue/tongxue/ent/product"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/paging"
	"github.com/tongxue/tongxue/internal/infra/store"
)

// Limits of a cart.
const (
	MaxLines    = 50
	MaxQuantity = 99
)

// Line is a product in the cart.
type Line struct {
	Product  *ent.Product
	Quantity int
}

// SubtotalFen is price × quantity at today's price.
func (l *Line) SubtotalFen() int64 { return l.Product.PriceFen * int64(l.Quantity) }

// Service manages carts and favourites.
type Service struct {
	client *ent.Client
	now    func() time.Time
}

// New returns the service.
func New(client *ent.Client, now func() time.Time) *Service {
	return &Service{client: client, now: now}
}

// SetQuantity puts quantity of a product in the cart (0 removes it).
func (s *Service) SetQuantity(ctx context.Context, userID, productID, quantity int) error {
	if quantity < 0 || quantity > MaxQuantity {
		return apperr.BadField("quantity", "quantity is 0 to %d", MaxQuantity)
	}
	if quantity == 0 {
		_, err := s.client.CartItem.Delete().Where(cartitem.UserID(userID), cartitem.ProductID(productID)).Exec(ctx)
		return err
	}
	if ok, err := s.client.Product.Query().Where(product.ID(productID)).Exist(ctx); err != nil {
		return err
	} else if !ok {
		return apperr.NotFound("product")
	}
	return store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		// Adds at once must not both pass the limit.
		if err := store.LockUser(ctx, tx, userID); err != nil {
			return err
		}
		n, err := tx.CartItem.Query().Where(cartitem.UserID(userID), cartitem.ProductIDNEQ(productID)).Count(ctx)
		if err != nil {
			return err
		}
		if n >= MaxLines {
			return apperr.BadInput("a cart holds at most %d products", MaxLines)
		}
		return tx.CartItem.Create().SetUserID(userID).SetProductID(productID).SetQuantity(quantity).
			SetUpdatedAt(s.now()).
			OnConflictColumns(cartitem.FieldUserID, cartitem.FieldProductID).UpdateQuantity().UpdateUpdatedAt().
			Exec(ctx)
	})
}

// Lines returns the cart with its products, in two statements.
func (s *Service) Lines(ctx context.Context, userID int) ([]*Line, error) {
	items, err := s.client.CartItem.Query().Where(cartitem.UserID(userID)).Order(ent.Asc(cartitem.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]int, len(items))
	for i, it := range items {
		ids[i] = it.ProductID
	}
	byID, err := s.products(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*Line, 0, len(items))
	for _, it := range items {
		if p := byID[it.ProductID]; p != nil {
			out = append(out, &Line{Product: p, Quantity: it.Quantity})
		}
	}
	return out, nil
}

// products loads products by id with their merchants, which every list
// of them shows (one query, not one a line).
func (s *Service) products(ctx context.Context, ids []int) (map[int]*ent.Product, error) {
	ps, err := s.client.Product.Query().Where(product.IDIn(ids...)).WithMerchant().All(ctx)
	if err != nil {
		return nil, err
	}
	byID := make(map[int]*ent.Product, len(ps))
	for _, p := range ps {
		byID[p.ID] = p
	}
	return byID, nil
}

// Clear removes the given products from the cart (after an order).
func Clear(ctx context.Context, tx *ent.Tx, userID int, productIDs []int) error {
	_, err := tx.CartItem.Delete().Where(cartitem.UserID(userID), cartitem.ProductIDIn(productIDs...)).Exec(ctx)
	return err
}

// Favorite adds or removes a favourite.
func (s *Service) Favorite(ctx context.Context, userID, productID int, on bool) error {
	if !on {
		_, err := s.client.Favorite.Delete().Where(favorite.UserID(userID), favorite.ProductID(productID)).Exec(ctx)
		return err
	}
	if ok, err := s.client.Product.Query().Where(product.ID(productID)).Exist(ctx); err != nil {
		return err
	} else if !ok {
		return apperr.NotFound("product")
	}
	return s.client.Favorite.Create().SetUserID(userID).SetProductID(productID).SetCreatedAt(s.now()).
		OnConflictColumns(favorite.FieldUserID, favorite.FieldProductID).Ignore().Exec(ctx)
}

// Favorites returns the favourite products, newest first.
func (s *Service) Favorites(ctx context.Context, userID, limit int) ([]*ent.Product, error) {
	fs, err := s.client.Favorite.Query().Where(favorite.UserID(userID)).
		Order(ent.Desc(favorite.FieldCreatedAt), ent.Desc(favorite.FieldID)).
		Limit(paging.Clamp(limit)).All(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]int, len(fs))
	for i, f := range fs {
		ids[i] = f.ProductID
	}
	byID, err := s.products(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*ent.Product, 0, len(ids))
	for _, id := range ids {
		if p := byID[id]; p != nil {
			out = append(out, p)
		}
	}
	return out, nil
}
