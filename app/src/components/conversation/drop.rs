//! Files dragged over the conversation: highlighted while over it, sent when dropped.

use crate::components::composer::Attachments;
use leptos::ev::DragEvent;
use leptos::prelude::*;

/// The drag-and-drop state of the conversation. `Copy`: arena handles.
#[derive(Clone, Copy)]
pub(super) struct FileDrop {
    /// True while files are over the conversation (its `dropping` class).
    pub dropping: RwSignal<bool>,
    /// Enter and leave fire for every child crossed: only the outermost leave ends the drag.
    depth: StoredValue<i32>,
    /// Where dropped files go.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    attachments: Attachments,
}

impl FileDrop {
    /// Dropped files become uploads in `attachments`.
    pub fn new(attachments: Attachments) -> FileDrop {
        FileDrop {
            dropping: RwSignal::new(false),
            depth: StoredValue::new(0),
            attachments,
        }
    }

    /// `dragenter`: files start (or keep) highlighting the conversation.
    pub fn on_enter(self, ev: DragEvent) {
        if carries_files(&ev) {
            ev.prevent_default();
            self.depth.update_value(|d| *d += 1);
            self.dropping.set(true);
        }
    }

    /// `dragover`: accepting files here is what makes the browser allow the drop.
    pub fn on_over(self, ev: DragEvent) {
        if carries_files(&ev) {
            ev.prevent_default();
        }
    }

    /// `dragleave`: the highlight goes when the drag leaves the conversation itself.
    pub fn on_leave(self) {
        self.depth.update_value(|d| *d -= 1);
        if self.depth.get_value() <= 0 {
            self.depth.set_value(0);
            self.dropping.set(false);
        }
    }

    /// `drop`: the files are sent.
    pub fn on_drop(self, ev: DragEvent) {
        self.depth.set_value(0);
        self.dropping.set(false);
        if carries_files(&ev) {
            ev.prevent_default();
            #[cfg(feature = "hydrate")]
            self.attachments
                .add_files(crate::components::composer::dropped_files(&ev));
        }
    }
}

/// True when a drag carries files (not text or a link being dragged around the page).
fn carries_files(ev: &DragEvent) -> bool {
    #[cfg(feature = "hydrate")]
    {
        crate::components::composer::carries_files(ev)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = ev;
        false
    }
}
