package privacy

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/devicepermission"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/infra/apperr"
)

// Permission is a device permission (the DevicePermissionKind enum).
type Permission string

const (
	PermPhone    Permission = "PHONE"
	PermCamera   Permission = "CAMERA"
	PermAlbum    Permission = "ALBUM"
	PermLocation Permission = "LOCATION"
	PermStorage  Permission = "STORAGE"
)

// Permissions is what the app reports for its device.
type Permissions struct {
	Platform                                devicepermission.Platform
	Phone, Camera, Album, Location, Storage bool
}

// ReportPermissions stores what the viewer's device allows now.
func (s *Service) ReportPermissions(ctx context.Context, v *auth.Viewer, p Permissions) (*ent.DevicePermission, error) {
	err := s.client.DevicePermission.Create().
		SetSessionID(v.SessionID).SetPlatform(p.Platform).
		SetPhone(p.Phone).SetCamera(p.Camera).SetAlbum(p.Album).SetLocation(p.Location).SetStorage(p.Storage).
		SetUpdatedAt(s.now()).
		OnConflictColumns(devicepermission.FieldSessionID).UpdateNewValues().
		Exec(ctx)
	if err != nil {
		return nil, err
	}
	if c := cacheFrom(ctx); c != nil {
		forget(c, c.permissions, v.SessionID)
	}
	return s.Permissions(ctx, v)
}

// Permissions returns what the viewer's device last reported, or nil.
func (s *Service) Permissions(ctx context.Context, v *auth.Viewer) (*ent.DevicePermission, error) {
	fetch := func() (*ent.DevicePermission, error) {
		dp, err := s.client.DevicePermission.Query().Where(devicepermission.SessionID(v.SessionID)).Only(ctx)
		if ent.IsNotFound(err) {
			return nil, nil
		}
		return dp, err
	}
	if c := cacheFrom(ctx); c != nil {
		return load(c, c.permissions, v.SessionID, fetch)
	}
	return fetch()
}

// RequirePermission refuses with PERMISSION_REQUIRED unless the viewer's
// device reported the permission on. A device that reported nothing counts
// as off.
func (s *Service) RequirePermission(ctx context.Context, v *auth.Viewer, p Permission) error {
	dp, err := s.Permissions(ctx, v)
	if err != nil {
		return err
	}
	if dp != nil && allows(dp, p) {
		return nil
	}
	return apperr.New(apperr.CodePermissionRequired, "turn on the %s permission for this feature", p).
		With("permission", string(p))
}

func allows(dp *ent.DevicePermission, p Permission) bool {
	switch p {
	case PermPhone:
		return dp.Phone
	case PermCamera:
		return dp.Camera
	case PermAlbum:
		return dp.Album
	case PermLocation:
		return dp.Location
	case PermStorage:
		return dp.Storage
	}
	return false
}

// MarshalGQL writes the enum value.
func (p Permission) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(p))) }

// UnmarshalGQL reads the enum value.
func (p *Permission) UnmarshalGQL(v any) error {
	s, _ := v.(string)
	switch Permission(s) {
	case PermPhone, PermCamera, PermAlbum, PermLocation, PermStorage:
		*p = Permission(s)
		return nil
	}
	return fmt.Errorf("%q is not a device permission", s)
}
