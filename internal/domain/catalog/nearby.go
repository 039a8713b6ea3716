package catalog

import (
	"context"
	"math"
	"sort"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/merchant"
	"github.com/tongxue/tongxue/internal/infra/apperr"
)

// Nearby is a merchant and its distance from the viewer.
type Nearby struct {
	Merchant       *ent.Merchant
	DistanceMeters int
}

const earthRadius = 6_371_000.0 // meters

// NearbyMerchants returns merchants within radius meters of a position,
// closest first. The position is used for this answer only and not stored.
func NearbyMerchants(ctx context.Context, client *ent.Client, lat, lng float64, radius, limit int) ([]*Nearby, error) {
	switch {
	case lat < -90 || lat > 90 || math.IsNaN(lat):
		return nil, apperr.BadField("latitude", "latitude is between -90 and 90")
	case lng < -180 || lng > 180 || math.IsNaN(lng):
		return nil, apperr.BadField("longitude", "longitude is between -180 and 180")
	case radius < 1 || radius > 20_000:
		return nil, apperr.BadField("radiusMeters", "the radius is 1 to 20000 meters")
	case limit < 1 || limit > 100:
		return nil, apperr.BadField("limit", "limit is 1 to 100")
	}
	// A bounding box the database can use, then the exact distance.
	dLat := float64(radius) / earthRadius * 180 / math.Pi
	dLng := dLat / math.Max(math.Cos(lat*math.Pi/180), 0.01)
	ms, err := client.Merchant.Query().Where(
		merchant.LatitudeGTE(lat-dLat), merchant.LatitudeLTE(lat+dLat),
		merchant.LongitudeGTE(lng-dLng), merchant.LongitudeLTE(lng+dLng),
	).All(ctx)
	if err != nil {
		return nil, err
	}
	var out []*Nearby
	for _, m := range ms {
		d := haversine(lat, lng, *m.Latitude, *m.Longitude)
		if d <= float64(radius) {
			out = append(out, &Nearby{Merchant: m, DistanceMeters: int(math.Round(d))})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].DistanceMeters < out[j].DistanceMeters })
	return out[:min(len(out), limit)], nil
}

func haversine(lat1, lng1, lat2, lng2 float64) float64 {
	rad := math.Pi / 180
	dLat, dLng := (lat2-lat1)*rad, (lng2-lng1)*rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLng/2)*math.Sin(dLng/2)
	return 2 * earthRadius * math.Asin(math.Sqrt(a))
}
