//! `fix_course_sortorder()` (`lib/datalib.php`): category sort orders, paths and depths
//! walked from the tree, course counts, and course sort orders kept inside their category's
//! range. Moodle runs it after creating, moving or deleting categories and courses; the
//! values it leaves are what `core_course_get_categories` and the course functions show.

use std::collections::BTreeMap;

use super::State;

/// `get_max_courses_in_category()`: the sort-order range of one category.
pub const MAX_COURSES_IN_CATEGORY: i64 = 10_000;
/// `MAX_COURSE_CATEGORIES`.
const MAX_COURSE_CATEGORIES: i64 = 10_000;

impl State {
    /// `fix_course_sortorder()`.
    pub fn fix_course_sortorder(&mut self) {
        // New categories (sort order 0) go to the end.
        for c in self.categories.values_mut().filter(|c| c.sortorder == 0) {
            c.sortorder = MAX_COURSES_IN_CATEGORY * MAX_COURSE_CATEGORIES;
        }
        let mut all: Vec<(i64, i64, i64)> = self
            .categories
            .values()
            .map(|c| (c.sortorder, c.id, c.parent))
            .collect();
        all.sort_unstable();
        // Children in the order the sorted rows reach them (PHP arrays keep insertion order);
        // a sort order already taken among siblings is bumped, which does not change the order.
        let mut top: Vec<i64> = Vec::new();
        let mut children: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
        let mut broken = Vec::new();
        for &(_, id, parent) in &all {
            if parent == 0 {
                top.push(id);
            } else if self.categories.contains_key(&parent) {
                children.entry(parent).or_default().push(id);
            } else {
                broken.push(id);
            }
        }
        top.extend(broken);
        let mut sortorder = 0;
        self.fix_course_cats(&top, &children, &mut sortorder, 0, 0, "");

        // Course counts.
        let counts: Vec<(i64, i64)> = self
            .categories
            .keys()
            .map(|&id| (id, self.course_count(id)))
            .collect();
        for (id, count) in counts {
            if let Some(c) = self.categories.get_mut(&id) {
                c.coursecount = count;
            }
        }

        // Courses whose sort order left their category's range move into it.
        let ranges: BTreeMap<i64, i64> = self
            .categories
            .values()
            .map(|c| (c.id, c.sortorder))
            .collect();
        let out_of_range: Vec<i64> = ranges
            .iter()
            .filter(|(cat, catsort)| {
                self.courses.values().any(|c| {
                    c.category == **cat
                        && (c.sortorder < **catsort
                            || c.sortorder > **catsort + MAX_COURSES_IN_CATEGORY)
                })
            })
            .map(|(cat, _)| *cat)
            .collect();
        for cat in out_of_range {
            let catsort = ranges[&cat];
            for c in self.courses.values_mut().filter(|c| c.category == cat) {
                c.sortorder = c.sortorder % MAX_COURSES_IN_CATEGORY + catsort;
            }
        }

        // Categories with duplicate sort orders among their courses, or gaps.
        let mut fix: Vec<i64> = Vec::new();
        for c1 in self.courses.values() {
            let duplicate = self
                .courses
                .values()
                .any(|c2| c2.id != c1.id && c2.sortorder == c1.sortorder);
            if duplicate && ranges.contains_key(&c1.category) && !fix.contains(&c1.category) {
                fix.push(c1.category);
            }
        }
        for (&cat, &catsort) in &ranges {
            let sorts: Vec<i64> = self
                .courses
                .values()
                .filter(|c| c.category == cat)
                .map(|c| c.sortorder)
                .collect();
            let (Some(&min), Some(&max)) = (sorts.iter().min(), sorts.iter().max()) else {
                continue;
            };
            let count = self.categories.get(&cat).map_or(0, |c| c.coursecount);
            if max == catsort + count && min == catsort + 1 || fix.contains(&cat) {
                continue;
            }
            if min == catsort && max == catsort + count - 1 {
                // A new course inserted with sort order 0, the rest in order.
                for c in self.courses.values_mut().filter(|c| c.category == cat) {
                    c.sortorder += 1;
                }
            } else {
                fix.push(cat);
            }
        }
        for cat in fix {
            let catsort = ranges[&cat];
            let mut list: Vec<(i64, i64)> = self
                .courses
                .values()
                .filter(|c| c.category == cat)
                .map(|c| (c.sortorder, c.id))
                .collect();
            // ORDER BY sortorder ASC, id DESC
            list.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
            for (i, (_, id)) in list.into_iter().enumerate() {
                if let Some(c) = self.courses.get_mut(&id) {
                    c.sortorder = catsort + i64::try_from(i).unwrap_or(0) + 1;
                }
            }
        }
    }

    /// `_fix_course_cats()`: walks the tree giving each category the next range.
    fn fix_course_cats(
        &mut self,
        ids: &[i64],
        children: &BTreeMap<i64, Vec<i64>>,
        sortorder: &mut i64,
        parent: i64,
        depth: i64,
        path: &str,
    ) {
        let depth = depth + 1;
        for &id in ids {
            *sortorder += MAX_COURSES_IN_CATEGORY;
            let Some(cat) = self.categories.get_mut(&id) else {
                continue;
            };
            cat.parent = parent;
            cat.depth = depth;
            cat.path = format!("{path}/{id}");
            cat.sortorder = *sortorder;
            let path = cat.path.clone();
            if let Some(kids) = children.get(&id) {
                self.fix_course_cats(kids, children, sortorder, id, depth, &path);
            }
        }
    }
}
